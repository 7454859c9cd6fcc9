import { randomBytes } from 'node:crypto';
import { findsPhi, wherePhi } from './find-phi';

describe('findsPhi (a PHI check that can fail)', () => {
  const marker = Buffer.concat([Buffer.from('EMR-PLAINTEXT-MARKER:'), randomBytes(64)]);
  const patientId = 'P-PHI-CHECK-0042';

  const embeddings: [string, Buffer, string | Buffer][] = [
    ['raw bytes', Buffer.concat([randomBytes(5), marker, randomBytes(5)]), marker],
    ['a raw id', Buffer.from(JSON.stringify({ id: patientId })), patientId],
    ['a lower-cased id', Buffer.from(JSON.stringify({ id: patientId.toLowerCase() })), patientId],
    ['hex', Buffer.from(JSON.stringify({ field: `00${marker.toString('hex')}ff` })), marker],
    ['an id in hex', Buffer.from(`{"note":"${Buffer.from(patientId).toString('hex')}"}`), patientId],
    ['an id in upper-case hex', Buffer.from(Buffer.from(patientId).toString('hex').toUpperCase()), patientId],
    ...[0, 1, 2].flatMap((offset): [string, Buffer, string | Buffer][] => [
      [
        `base64 at offset ${offset}`,
        Buffer.from(
          JSON.stringify({ c: Buffer.concat([randomBytes(offset), marker, randomBytes(7)]).toString('base64') }),
        ),
        marker,
      ],
      [
        `an id in base64url at offset ${offset}`,
        Buffer.from(Buffer.concat([randomBytes(offset), Buffer.from(patientId), randomBytes(2)]).toString('base64url')),
        patientId,
      ],
    ]),
  ];

  it.each(embeddings)('#11.16 finds a secret embedded as %s', (_, contents, secret) => {
    expect(wherePhi(contents, secret)).not.toBeNull();
  });

  it('#11.16 does not find it where it is not', () => {
    const noise = Buffer.from(JSON.stringify({ content: randomBytes(4096).toString('base64') }));
    expect(findsPhi(noise, marker)).toBe(false);
    expect(findsPhi(noise, patientId)).toBe(false);
  });

  it('refuses a secret too short to search for without chance matches', () => {
    expect(() => findsPhi(Buffer.from('P-1'), 'P-1')).toThrow(/at least 8 bytes/);
  });
});
