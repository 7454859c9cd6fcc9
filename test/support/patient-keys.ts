import { createHash, randomBytes } from 'node:crypto';
import request from 'supertest';
import type { App } from 'supertest/types';
import { bytesToHex, hexToBytes } from '../../src/domain/bytes';
import { ChainName } from '../../src/domain/chain-name';
import { KeyPair } from '../../src/domain/ports/cipher.port';
import { ConsentAction, consentMessage, grantDataHash, revokeDataHash } from '../../src/domain/consent-message';
import { epochAad } from '../../src/domain/epoch-aad';
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
const sha256 = (data: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(data).digest());
const SECOND_MS = 1000;

/** GET …/consent-context as the service answers it. */
export interface ConsentContextJson {
  patientKey: string;
  provider: { id: string; publicKey: string; providerKey: string } | null;
  ledgers: { chain: ChainName; chainId: string; registry: string; nonce: string }[];
  epoch: { index: number; publicKey: string; slots: string[] };
  consented: { id: string; publicKey: string; providerKey: string }[];
}

/** A new epoch: a fresh P-256 pair, its scalar sealed to each recipient under the epoch aad. */
async function createEpoch(
  patientKey: Uint8Array,
  index: number,
  recipients: Uint8Array[],
): Promise<{ pair: KeyPair; publicKey: Uint8Array; slots: Uint8Array[] }> {
  const pair = await cipher.generateKeyPair();
  const slots: Uint8Array[] = [];
  for (const recipient of recipients) {
    slots.push(await cipher.sealDataKey({ bytes: pair.privateKey }, [recipient], epochAad(patientKey, index)));
  }
  return { pair, publicKey: pair.publicKey, slots };
}

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
  /** The epoch key pairs this patient made, by index (a real browser reopens its slots instead). */
  private readonly epochPairs = new Map<number, KeyPair>();

  private constructor(
    readonly actor: Actor,
    readonly encryption: KeyPair,
    readonly signing: KeyPair,
    private readonly signer: EcdsaP256RecordSigner,
    readonly patientKey: Uint8Array,
  ) {}

  /** Generates keys and registers them (POST /me/keys) with a random stand-in backup and epoch 0 (one slot, the patient's). */
  static async register(server: App, actor: Actor): Promise<TestPatient> {
    const me = await request(server).get('/api/v1/me').set(actor.auth);
    if (me.status !== 200) throw new Error(`me: ${me.status} ${me.text}`);
    const patientKey = hexToBytes((me.body as { patientKey: string }).patientKey.slice(2));
    const encryption = await cipher.generateKeyPair();
    const signing = EcdsaP256RecordSigner.generateSigningKeyPair();
    const signer = new EcdsaP256RecordSigner(signing);
    const proof = await signer.sign(keyRegistrationMessage(actor.id, encryption.publicKey, signing.publicKey));
    const epoch = await createEpoch(patientKey, 0, [encryption.publicKey]);
    const response = await request(server)
      .post('/api/v1/me/keys')
      .set(actor.auth)
      .send({
        encryptionPublicKey: hex(encryption.publicKey),
        signingPublicKey: hex(signing.publicKey),
        proof: hex(proof),
        backup: b64(randomBytes(109)),
        epoch: { publicKey: hex(epoch.publicKey), slots: epoch.slots.map(b64) },
      });
    if (response.status !== 201) throw new Error(`register keys: ${response.status} ${response.text}`);
    const patient = new TestPatient(actor, encryption, signing, signer, patientKey);
    patient.epochPairs.set(0, epoch.pair);
    return patient;
  }

  /** GET …/consent-context (for `providerId` when given). */
  async consentContext(server: App, providerId?: string): Promise<ConsentContextJson> {
    const response = await request(server)
      .get(`/api/v1/patients/${this.actor.id}/consent-context`)
      .query(providerId ? { providerId } : {})
      .set(this.actor.auth);
    if (response.status !== 200) throw new Error(`consent-context: ${response.status} ${response.text}`);
    return response.body as ConsentContextJson;
  }

  /** The body of a signed grant: the provider's slot of the current epoch and one signature per ledger. */
  async grantBody(
    server: App,
    providerId: string,
    expiresAt?: string,
  ): Promise<{ providerId: string; expiresAt?: string; epochSlot: string; signatures: Record<string, unknown> }> {
    const context = await this.consentContext(server, providerId);
    const pair = await this.epochPair(context);
    const slot = await cipher.sealDataKey(
      { bytes: pair.privateKey },
      [hexToBytes(context.provider!.publicKey.slice(2))],
      epochAad(this.patientKey, context.epoch.index),
    );
    const providerKey = hexToBytes(context.provider!.providerKey.slice(2));
    const expiry = expiresAt ? BigInt(Math.floor(new Date(expiresAt).getTime() / SECOND_MS)) : 0n;
    const signatures = await this.signEach(context, {
      action: ConsentAction.Grant,
      providerKey,
      expiresAt: expiry,
      dataHash: grantDataHash(slot, sha256),
    });
    return { providerId, ...(expiresAt ? { expiresAt } : {}), epochSlot: b64(slot), signatures };
  }

  /** POST …/consents, signed; the response. */
  async grant(server: App, providerId: string, expiresAt?: string): Promise<request.Response> {
    return request(server)
      .post(`/api/v1/patients/${this.actor.id}/consents`)
      .set(this.actor.auth)
      .send(await this.grantBody(server, providerId, expiresAt));
  }

  /** The body of a signed revoke: a new epoch for the patient and the providers still consented. */
  async revokeBody(
    server: App,
    providerId: string,
  ): Promise<{ epoch: { publicKey: string; slots: string[] }; signatures: Record<string, unknown> }> {
    const context = await this.consentContext(server, providerId);
    const index = context.epoch.index + 1;
    const recipients = [
      this.encryption.publicKey,
      ...context.consented
        .filter((party) => party.id !== providerId)
        .map((party) => hexToBytes(party.publicKey.slice(2))),
    ];
    const epoch = await createEpoch(this.patientKey, index, recipients);
    this.epochPairs.set(index, epoch.pair);
    const signatures = await this.signEach(context, {
      action: ConsentAction.Revoke,
      providerKey: hexToBytes(context.provider!.providerKey.slice(2)),
      expiresAt: 0n,
      dataHash: revokeDataHash(epoch.publicKey, epoch.slots, sha256),
    });
    return { epoch: { publicKey: hex(epoch.publicKey), slots: epoch.slots.map(b64) }, signatures };
  }

  /** POST …/consents/{providerId}/revoke, signed; the response. */
  async revoke(server: App, providerId: string): Promise<request.Response> {
    return request(server)
      .post(`/api/v1/patients/${this.actor.id}/consents/${providerId}/revoke`)
      .set(this.actor.auth)
      .send(await this.revokeBody(server, providerId));
  }

  /** This patient's epoch keys (from its own slots on the ledger), newest first. */
  async epochKeys(server: App): Promise<KeyPair[]> {
    const response = await request(server).get(`/api/v1/patients/${this.actor.id}/epochs`).set(this.actor.auth);
    if (response.status !== 200) throw new Error(`epochs: ${response.status} ${response.text}`);
    const keys: KeyPair[] = [];
    for (const epoch of response.body as { index: number; publicKey: string; slots: string[] }[]) {
      const opened = await cipher.tryUnwrap(
        epoch.slots.map(fromB64),
        this.encryption,
        epochAad(this.patientKey, epoch.index),
      );
      if (opened) keys.push({ privateKey: opened.bytes, publicKey: hexToBytes(epoch.publicKey.slice(2)) });
    }
    return keys.reverse();
  }

  private async epochPair(context: ConsentContextJson): Promise<KeyPair> {
    const known = this.epochPairs.get(context.epoch.index);
    if (known) return known;
    const opened = await cipher.tryUnwrap(
      context.epoch.slots.map(fromB64),
      this.encryption,
      epochAad(this.patientKey, context.epoch.index),
    );
    if (!opened) throw new Error('no slot of the current epoch opens with this patient key');
    return { privateKey: opened.bytes, publicKey: hexToBytes(context.epoch.publicKey.slice(2)) };
  }

  private async signEach(
    context: ConsentContextJson,
    fields: { action: ConsentAction; providerKey: Uint8Array; expiresAt: bigint; dataHash: Uint8Array },
  ): Promise<Record<string, { nonce: string; r: string; s: string }>> {
    const signatures: Record<string, { nonce: string; r: string; s: string }> = {};
    for (const ledger of context.ledgers) {
      const message = consentMessage({
        ...fields,
        chainId: BigInt(ledger.chainId),
        registry: ledger.registry,
        patientKey: this.patientKey,
        nonce: BigInt(ledger.nonce),
      });
      // EcdsaP256RecordSigner signs SHA-256(message), low-S: what the contract verifies.
      const signature = await this.signer.sign(message);
      signatures[ledger.chain] = {
        nonce: ledger.nonce,
        r: hex(signature.subarray(0, 32)),
        s: hex(signature.subarray(32)),
      };
    }
    return signatures;
  }

  /** GET one sealed record (or `latest`). */
  async fetchSealed(server: App, recordId: string, chain = 'any'): Promise<SealedRecordJson> {
    const response = await request(server)
      .get(`/api/v1/patients/${this.actor.id}/sealed-records/${recordId}`)
      .query({ chain })
      .set(this.actor.auth);
    if (response.status !== 200) throw new Error(`sealed read: ${response.status} ${response.text}`);
    const sealed = response.body as SealedRecordJson;
    const content = await request(server)
      .get(`/api/v1/patients/${this.actor.id}/sealed-records/${sealed.recordId}/content`)
      .query({ chain: sealed.chain })
      .set(this.actor.auth)
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      });
    if (content.status !== 200) throw new Error(`sealed content: ${content.status}`);
    return { ...sealed, content: (content.body as Buffer).toString('base64') };
  }

  /** Verifies (signature, digest) and opens a sealed record with this patient's key, as the page does. */
  async open(
    sealed: SealedRecordJson,
    serviceKey?: Uint8Array,
    /** This patient's epoch keys (epochKeys()): records sealed to an epoch open through them. */
    epochKeys: readonly KeyPair[] = [],
  ): Promise<{ header: RecordHeader; bytes: Uint8Array }> {
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
    const envelopes = [keyEnvelope, ...sealed.addedKeyEnvelopes.map(fromB64)];
    let dataKey = await cipher.tryUnwrap(envelopes, this.encryption, aad);
    for (const epochKey of epochKeys) dataKey ??= await cipher.tryUnwrap(envelopes, epochKey, aad);
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
