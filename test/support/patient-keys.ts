import { randomBytes } from 'node:crypto';
import request from 'supertest';
import type { App } from 'supertest/types';
import { bytesToHex, hexToBytes } from '../../src/domain/bytes';
import { ChainName } from '../../src/domain/chain-name';
import { KeyPair } from '../../src/domain/ports/cipher.port';
import { keyRegistrationMessage } from '../../src/domain/patient-keys';
import { decodeHeader, encodeHeader, recordAad, recordSigningPayload } from '../../src/domain/record-codec';
import { RecordHeader } from '../../src/domain/emr-record';
import { RecordId } from '../../src/domain/record-id';
import { EcdsaP256RecordSigner } from '../../src/infrastructure/crypto/ecdsa-p256.signer';
import { HpkeP256Cipher } from '../../src/infrastructure/crypto/hpke-p256.cipher';
import { NodeHasher } from '../../src/infrastructure/crypto/node-crypto.hasher';
import { Actor } from './actors';

const cipher = new HpkeP256Cipher();
const hasher = new NodeHasher();
const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
const fromB64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64'));
const hex = (bytes: Uint8Array): string => `0x${bytesToHex(bytes)}`;

/** A SealedRecord as the sealed endpoints answer it (the fields these helpers use). */
export interface SealedRecordJson {
  recordId: string;
  patientKey: string;
  chain: ChainName;
  version: number;
  contentSha256: string;
  contentLength: number;
  sealedHeader: string;
  keyEnvelope: string;
  addedKeyEnvelopes: string[];
  signature: string;
  signer: { kind: string; keyId: string; publicKey: string | null };
  content?: string;
}

/**
 * A patient's keys for the supertest suites, made and used with the service's own crypto classes
 * (the browser's client module has its own e2e: patient-keys.e2e-spec.ts). It registers the public
 * halves as the page does, reads sealed records and opens them, and uploads sealed records.
 */
export class TestPatient {
  private constructor(
    readonly actor: Actor,
    readonly encryption: KeyPair,
    readonly signing: KeyPair,
    private readonly signer: EcdsaP256RecordSigner,
  ) {}

  /** Generates keys and registers them (POST /me/keys) with a random stand-in backup. */
  static async register(server: App, actor: Actor): Promise<TestPatient> {
    const encryption = await cipher.generateKeyPair();
    const signing = EcdsaP256RecordSigner.generateSigningKeyPair();
    const signer = new EcdsaP256RecordSigner(signing);
    const proof = await signer.sign(keyRegistrationMessage(actor.id, encryption.publicKey, signing.publicKey));
    const response = await request(server)
      .post('/api/v1/me/keys')
      .set(actor.auth)
      .send({
        encryptionPublicKey: hex(encryption.publicKey),
        signingPublicKey: hex(signing.publicKey),
        proof: hex(proof),
        backup: b64(randomBytes(109)),
      });
    if (response.status !== 201) throw new Error(`register keys: ${response.status} ${response.text}`);
    return new TestPatient(actor, encryption, signing, signer);
  }

  /** GET one sealed record (or `latest`). */
  async fetchSealed(server: App, recordId: string, chain = 'any'): Promise<SealedRecordJson> {
    const response = await request(server)
      .get(`/api/v1/patients/${this.actor.id}/sealed-records/${recordId}`)
      .query({ chain })
      .set(this.actor.auth);
    if (response.status !== 200) throw new Error(`sealed read: ${response.status} ${response.text}`);
    return response.body as SealedRecordJson;
  }

  /** Verifies (signature, digest) and opens a sealed record with this patient's key, as the page does. */
  async open(sealed: SealedRecordJson, serviceKey?: Uint8Array): Promise<{ header: RecordHeader; bytes: Uint8Array }> {
    const content = fromB64(sealed.content ?? '');
    const patientKey = hexToBytes(sealed.patientKey.slice(2));
    const recordId = RecordId.parse(sealed.recordId);
    const keyEnvelope = fromB64(sealed.keyEnvelope);
    const sealedHeader = fromB64(sealed.sealedHeader);
    if (hex(hasher.sha256(content)) !== sealed.contentSha256) throw new Error('digest mismatch');
    const payload = recordSigningPayload({
      chain: sealed.chain,
      patientKey,
      recordId,
      contentSha256: hasher.sha256(content),
      sealedHeader,
      keyEnvelopeSha256: keyEnvelope[0] === 2 ? hasher.sha256(keyEnvelope) : null,
    });
    const signerKey = sealed.signer.kind === 'patient' ? this.signing.publicKey : serviceKey;
    const verifier = new EcdsaP256RecordSigner(this.signing);
    if (
      !signerKey ||
      !(await verifier.verifyWithPublicKey(payload, hexToBytes(sealed.signature.slice(2)), signerKey))
    ) {
      throw new Error('signature does not verify');
    }
    const aad = recordAad(patientKey, recordId);
    const dataKey = await cipher.tryUnwrap(
      [keyEnvelope, ...sealed.addedKeyEnvelopes.map(fromB64)],
      this.encryption,
      aad,
    );
    if (!dataKey) throw new Error('no slot for this patient');
    const header = decodeHeader(await cipher.open(dataKey, sealedHeader, 0, aad));
    return { header, bytes: await cipher.open(dataKey, content, 1, aad) };
  }

  /** The sealed parts of an upload by this patient, sealed to `recipients` (the patient's key first). */
  async seal(
    bytes: Uint8Array,
    header: Omit<RecordHeader, 'size' | 'uploader'>,
    patientKeyHex: string,
    recipients: Uint8Array[],
    chains: ChainName[],
    recordId = RecordId.fromBytes(randomBytes(32)),
  ): Promise<{ recordId: string; fields: Record<string, string>; content: Uint8Array }> {
    const patientKey = hexToBytes(patientKeyHex.slice(2));
    const aad = recordAad(patientKey, recordId);
    const full: RecordHeader = { ...header, size: bytes.length, uploader: this.actor.id, sha1: hasher.sha1(bytes) };
    const sealed = await cipher.seal([encodeHeader(full), bytes], recipients, aad);
    const [sealedHeader, content] = sealed.parts;
    const signatures: Record<string, string> = {};
    for (const chain of chains) {
      const payload = recordSigningPayload({
        chain,
        patientKey,
        recordId,
        contentSha256: hasher.sha256(content),
        sealedHeader,
        keyEnvelopeSha256: hasher.sha256(sealed.keyEnvelope),
      });
      signatures[chain] = hex(await this.signer.sign(payload));
    }
    return {
      recordId: recordId.hex,
      content,
      fields: {
        chain: chains.length > 1 ? 'both' : chains[0],
        recordId: recordId.hex,
        sealedHeader: b64(sealedHeader),
        keyEnvelope: b64(sealed.keyEnvelope),
        recipients: JSON.stringify(recipients.map(hex)),
        signatures: JSON.stringify(signatures),
      },
    };
  }

  /** Seals to whom GET …/recipients names and posts it; the response. */
  async upload(
    server: App,
    bytes: Uint8Array,
    fileName: string,
    contentType: string,
    chain: 'supchain' | 'medchain' | 'both',
  ): Promise<request.Response> {
    const context = await request(server)
      .get(`/api/v1/patients/${this.actor.id}/recipients`)
      .query({ chain })
      .set(this.actor.auth);
    if (context.status !== 200) throw new Error(`recipients: ${context.status} ${context.text}`);
    const body = context.body as { patientKey: string; chains: ChainName[]; recipients: { publicKey: string }[] };
    const recipients = body.recipients.map((recipient) => hexToBytes(recipient.publicKey.slice(2)));
    const sealed = await this.seal(bytes, { fileName, contentType }, body.patientKey, recipients, body.chains);
    return this.post(server, sealed);
  }

  async post(server: App, sealed: { fields: Record<string, string>; content: Uint8Array }): Promise<request.Response> {
    let req = request(server).post(`/api/v1/patients/${this.actor.id}/sealed-records`).set(this.actor.auth);
    for (const [name, value] of Object.entries(sealed.fields)) req = req.field(name, value);
    return req.attach('content', Buffer.from(sealed.content), {
      filename: 'sealed.bin',
      contentType: 'application/octet-stream',
    });
  }
}
