import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { ethers } from 'hardhat';
import { loadFixture, time } from '@nomicfoundation/hardhat-network-helpers';
import type { HardhatEthersSigner } from '@nomicfoundation/hardhat-ethers/signers';
import type { ContractTransactionReceipt } from 'ethers';
import type { PatientAccessRegistry } from '../../typechain-types';
import {
  ACTION_GRANT,
  ACTION_REPLACE_KEY,
  ACTION_REVOKE,
  CONSENT_DOMAIN_LABEL,
  consentDomain,
  encodeConsentMessage,
  epochDataHash,
  generateEpochPublicKey,
  generatePatientSigningKey,
  highS,
  P256_ORDER,
  type PatientSigningKey,
  replaceKeyDataHash,
  sha256Hex,
  type Signature,
  signMessage,
  verifyMessage,
} from '../support/consent-signature';

const key = (n: number) => ethers.zeroPadValue(ethers.toBeHex(n), 32);
const hex = (bytes: Uint8Array) => ethers.hexlify(bytes);
/** An HPKE envelope of the epoch key to one recipient is 115 bytes. */
const SLOT_BYTES = 115;
const slot = (length = SLOT_BYTES) => hex(randomBytes(length));
const PATIENT = key(1);
const PROVIDER = key(2);
const OTHER_PROVIDER = key(3);
const ZERO_SIGNATURE: Signature = { r: ethers.ZeroHash, s: ethers.ZeroHash };
const GRANT_GAS_TARGET = 150_000n;

describe('PatientAccessRegistry: consent signed by the patient', () => {
  async function deploy() {
    const [admin, writer, outsider] = await ethers.getSigners();
    const registry = await ethers.deployContract('PatientAccessRegistry', [admin.address, writer.address]);
    const otherRegistry = await ethers.deployContract('PatientAccessRegistry', [admin.address, writer.address]);
    const patientSigner = generatePatientSigningKey();
    const epoch0Key = hex(generateEpochPublicKey());
    const ownSlot = slot();
    await registry.connect(writer).registerPatientKey(PATIENT, patientSigner.x, patientSigner.y, epoch0Key, [ownSlot]);
    await otherRegistry
      .connect(writer)
      .registerPatientKey(PATIENT, patientSigner.x, patientSigner.y, epoch0Key, [ownSlot]);
    const chainId = (await ethers.provider.getNetwork()).chainId;
    return {
      registry,
      otherRegistry,
      admin,
      writer,
      outsider,
      patientSigner,
      epoch0Key,
      ownSlot,
      chainId,
      senders: { admin, writer, outsider } as Record<string, HardhatEthersSigner>,
    };
  }

  type Fixture = Awaited<ReturnType<typeof deploy>>;

  interface GrantOptions {
    readonly provider?: string;
    readonly expiresAt?: number | bigint;
    readonly nonce?: number | bigint;
    readonly slot?: string;
    readonly signer?: PatientSigningKey;
    readonly chainId?: bigint;
    readonly registry?: PatientAccessRegistry;
  }

  /** A grant's arguments signed as the patient's page would sign them, with any field overridable. */
  async function signedGrant(f: Fixture, options: GrantOptions = {}) {
    const epochSlot = options.slot ?? slot();
    const provider = options.provider ?? PROVIDER;
    const expiresAt = BigInt(options.expiresAt ?? 0);
    const nonce = BigInt(options.nonce ?? (await f.registry.consentNonce(PATIENT)));
    const message = encodeConsentMessage({
      chainId: options.chainId ?? f.chainId,
      registry: await (options.registry ?? f.registry).getAddress(),
      action: ACTION_GRANT,
      patientKey: PATIENT,
      providerKey: provider,
      expiresAt,
      nonce,
      dataHash: sha256Hex(epochSlot),
    });
    const signature = signMessage(options.signer ?? f.patientSigner, message);
    return { provider, expiresAt, nonce, epochSlot, message, signature };
  }

  type Grant = Awaited<ReturnType<typeof signedGrant>>;

  function sendGrant(f: Fixture, grant: Grant, from: HardhatEthersSigner, signature = grant.signature) {
    return f.registry
      .connect(from)
      .grantConsent(PATIENT, grant.provider, grant.expiresAt, grant.nonce, signature.r, signature.s, grant.epochSlot);
  }

  interface RevokeOptions {
    readonly provider?: string;
    readonly nonce?: number | bigint;
    readonly signer?: PatientSigningKey;
    readonly chainId?: bigint;
    readonly registry?: PatientAccessRegistry;
    readonly slots?: string[];
  }

  async function signedRevoke(f: Fixture, options: RevokeOptions = {}) {
    const provider = options.provider ?? PROVIDER;
    const nonce = BigInt(options.nonce ?? (await f.registry.consentNonce(PATIENT)));
    const publicKey = hex(generateEpochPublicKey());
    const slots = options.slots ?? [slot(), slot()];
    const message = encodeConsentMessage({
      chainId: options.chainId ?? f.chainId,
      registry: await (options.registry ?? f.registry).getAddress(),
      action: ACTION_REVOKE,
      patientKey: PATIENT,
      providerKey: provider,
      expiresAt: 0,
      nonce,
      dataHash: epochDataHash(publicKey, slots),
    });
    const signature = signMessage(options.signer ?? f.patientSigner, message);
    return { provider, nonce, publicKey, slots, message, signature };
  }

  type Revoke = Awaited<ReturnType<typeof signedRevoke>>;

  function sendRevoke(f: Fixture, revoke: Revoke, from: HardhatEthersSigner, signature = revoke.signature) {
    return f.registry
      .connect(from)
      .revokeConsent(PATIENT, revoke.provider, revoke.nonce, signature.r, signature.s, revoke.publicKey, revoke.slots);
  }

  function eventArgs(registry: PatientAccessRegistry, receipt: ContractTransactionReceipt, name: string) {
    return receipt.logs
      .map((log) => registry.interface.parseLog(log))
      .filter((parsed) => parsed?.name === name)
      .map((parsed) => parsed!.args);
  }

  describe('the signed message', () => {
    it('uses DOMAIN = sha256("patient-centric-emr/PatientAccessRegistry/v2")', async () => {
      const { registry } = await loadFixture(deploy);
      expect(await registry.DOMAIN()).to.equal(sha256Hex(Buffer.from(CONSENT_DOMAIN_LABEL, 'utf8')));
      expect(await registry.DOMAIN()).to.equal(consentDomain());
      expect([
        await registry.ACTION_GRANT(),
        await registry.ACTION_REVOKE(),
        await registry.ACTION_REPLACE_KEY(),
      ]).to.deep.equal([BigInt(ACTION_GRANT), BigInt(ACTION_REVOKE), BigInt(ACTION_REPLACE_KEY)]);
    });

    it('consentMessage is abi.encode(DOMAIN, chain id, this contract, action, keys, expiry, nonce, data hash)', async () => {
      const { registry, otherRegistry, chainId } = await loadFixture(deploy);
      const dataHash = sha256Hex('0x01');
      const fields = { action: 2, patientKey: PATIENT, providerKey: PROVIDER, expiresAt: 1234, nonce: 7, dataHash };
      const onChain = await registry.consentMessage(2, PATIENT, PROVIDER, 1234, 7, dataHash);
      expect(onChain).to.equal(encodeConsentMessage({ ...fields, chainId, registry: await registry.getAddress() }));
      expect(ethers.dataLength(onChain)).to.equal(288);
      expect(await otherRegistry.consentMessage(2, PATIENT, PROVIDER, 1234, 7, dataHash)).to.not.equal(onChain);
    });
  });

  describe('registering the patient key', () => {
    it('stores the key, nonce 0 and epoch 0 with its slots, with events', async () => {
      const f = await loadFixture(deploy);
      const signer = generatePatientSigningKey();
      const epochKey = hex(generateEpochPublicKey());
      const slots = [slot(), slot(40)];
      const tx = f.registry.connect(f.writer).registerPatientKey(key(9), signer.x, signer.y, epochKey, slots);
      await expect(tx).to.emit(f.registry, 'PatientKeyRegistered').withArgs(key(9), signer.x, signer.y);
      await expect(tx).to.emit(f.registry, 'EpochStarted').withArgs(key(9), 0, epochKey);
      await expect(tx).to.emit(f.registry, 'EpochSlotAdded').withArgs(key(9), 0, 1, slots[1]);
      expect(await f.registry.patientSigningKey(key(9))).to.deep.equal([signer.x, signer.y]);
      expect(await f.registry.consentNonce(key(9))).to.equal(0n);
      expect(await f.registry.epochCount(key(9))).to.equal(1n);
      expect(await f.registry.epochPublicKey(key(9), 0)).to.equal(epochKey);
      expect(await f.registry.epochSlotHashes(key(9), 0)).to.deep.equal(slots.map((s) => sha256Hex(s)));
    });

    it('answers no key, no epochs and nonce 0 for a patient never registered', async () => {
      const { registry } = await loadFixture(deploy);
      expect(await registry.patientSigningKey(key(9))).to.deep.equal([ethers.ZeroHash, ethers.ZeroHash]);
      expect(await registry.epochCount(key(9))).to.equal(0n);
      expect(await registry.consentNonce(key(9))).to.equal(0n);
      expect(await registry.epochPublicKey(key(9), 0)).to.equal('0x');
      expect(await registry.epochSlotHashes(key(9), 0)).to.deep.equal([]);
    });

    it('is for writers only, once per patient', async () => {
      const f = await loadFixture(deploy);
      const other = generatePatientSigningKey();
      const writerRole = await f.registry.WRITER_ROLE();
      for (const sender of [f.admin, f.outsider]) {
        await expect(f.registry.connect(sender).registerPatientKey(key(9), other.x, other.y, f.epoch0Key, [slot()]))
          .to.be.revertedWithCustomError(f.registry, 'AccessControlUnauthorizedAccount')
          .withArgs(sender.address, writerRole);
      }
      await expect(f.registry.connect(f.writer).registerPatientKey(PATIENT, other.x, other.y, f.epoch0Key, [slot()]))
        .to.be.revertedWithCustomError(f.registry, 'PatientAccessRegistryKeyAlreadyRegistered')
        .withArgs(PATIENT);
      expect(await f.registry.patientSigningKey(PATIENT)).to.deep.equal([f.patientSigner.x, f.patientSigner.y]);
    });

    it('refuses a zero coordinate, an epoch key not 65 bytes, no slots, an empty or oversized slot', async () => {
      const f = await loadFixture(deploy);
      const signer = generatePatientSigningKey();
      const register = (x: string, y: string, epochKey: string, slots: string[]) =>
        f.registry.connect(f.writer).registerPatientKey(key(9), x, y, epochKey, slots);
      await expect(register(ethers.ZeroHash, signer.y, f.epoch0Key, [slot()])).to.be.revertedWithCustomError(
        f.registry,
        'PatientAccessRegistryBadSigningKey',
      );
      await expect(register(signer.x, ethers.ZeroHash, f.epoch0Key, [slot()])).to.be.revertedWithCustomError(
        f.registry,
        'PatientAccessRegistryBadSigningKey',
      );
      await expect(register(signer.x, signer.y, ethers.dataSlice(f.epoch0Key, 0, 64), [slot()]))
        .to.be.revertedWithCustomError(f.registry, 'PatientAccessRegistryBadEpochKey')
        .withArgs(64);
      await expect(register(signer.x, signer.y, f.epoch0Key, [])).to.be.revertedWithCustomError(
        f.registry,
        'PatientAccessRegistryNoEpochSlots',
      );
      await expect(register(signer.x, signer.y, f.epoch0Key, [slot(), '0x']))
        .to.be.revertedWithCustomError(f.registry, 'PatientAccessRegistryBadKeyEnvelope')
        .withArgs(1, 0);
      await expect(register(signer.x, signer.y, f.epoch0Key, [slot(4097)]))
        .to.be.revertedWithCustomError(f.registry, 'PatientAccessRegistryBadKeyEnvelope')
        .withArgs(0, 4097);
      await register(signer.x, signer.y, f.epoch0Key, [slot(4096), slot(1)]);
      expect(await f.registry.epochCount(key(9))).to.equal(1n);
    });
  });

  describe('a valid signature', () => {
    for (const sender of ['outsider', 'writer', 'admin']) {
      it(`grants from any sender (${sender}), emitting the signed message, which re-verifies off-chain`, async () => {
        const f = await loadFixture(deploy);
        const grant = await signedGrant(f, { expiresAt: (await time.latest()) + 3600 });
        const tx = sendGrant(f, grant, f.senders[sender]);
        await expect(tx)
          .to.emit(f.registry, 'ConsentGranted')
          .withArgs(PATIENT, PROVIDER, grant.expiresAt, 0, 0, grant.message, grant.signature.r, grant.signature.s);
        await expect(tx).to.emit(f.registry, 'EpochSlotAdded').withArgs(PATIENT, 0, 1, grant.epochSlot);

        const [event] = eventArgs(f.registry, (await (await tx).wait())!, 'ConsentGranted');
        expect(event.message).to.equal(
          await f.registry.consentMessage(
            ACTION_GRANT,
            PATIENT,
            PROVIDER,
            grant.expiresAt,
            0,
            sha256Hex(grant.epochSlot),
          ),
        );
        const [x, y] = await f.registry.patientSigningKey(PATIENT);
        expect(verifyMessage(x, y, event.message as string, { r: event.r as string, s: event.s as string })).to.equal(
          true,
        );

        const consent = await f.registry.consentOf(PATIENT, PROVIDER);
        expect(consent.active).to.equal(true);
        expect(consent.expiresAt).to.equal(grant.expiresAt);
        expect(consent.grantedAt).to.equal(BigInt(await time.latest()));
        expect(await f.registry.consentNonce(PATIENT)).to.equal(1n);
      });
    }

    it('revokes from any sender, emitting the signed message and starting a new epoch with its slots', async () => {
      const f = await loadFixture(deploy);
      await sendGrant(f, await signedGrant(f), f.outsider);
      const revoke = await signedRevoke(f);
      const tx = sendRevoke(f, revoke, f.admin);
      await expect(tx)
        .to.emit(f.registry, 'ConsentRevoked')
        .withArgs(PATIENT, PROVIDER, 1, 1, revoke.message, revoke.signature.r, revoke.signature.s);
      await expect(tx).to.emit(f.registry, 'EpochStarted').withArgs(PATIENT, 1, revoke.publicKey);
      const receipt = (await (await tx).wait())!;
      const [event] = eventArgs(f.registry, receipt, 'ConsentRevoked');
      expect(event.message).to.equal(
        await f.registry.consentMessage(
          ACTION_REVOKE,
          PATIENT,
          PROVIDER,
          0,
          1,
          epochDataHash(revoke.publicKey, revoke.slots),
        ),
      );
      expect(verifyMessage(f.patientSigner.x, f.patientSigner.y, event.message as string, revoke.signature)).to.equal(
        true,
      );

      expect((await f.registry.consentOf(PATIENT, PROVIDER)).active).to.equal(false);
      expect(await f.registry.consentNonce(PATIENT)).to.equal(2n);
      expect(await f.registry.epochCount(PATIENT)).to.equal(2n);
      expect(await f.registry.epochPublicKey(PATIENT, 1)).to.equal(revoke.publicKey);
      const slotEvents = eventArgs(f.registry, receipt, 'EpochSlotAdded');
      expect(slotEvents.map((e) => [e.epoch, e.index, e.slot])).to.deep.equal([
        [1n, 0n, revoke.slots[0]],
        [1n, 1n, revoke.slots[1]],
      ]);
      expect(await f.registry.epochSlotHashes(PATIENT, 1)).to.deep.equal(
        slotEvents.map((e) => sha256Hex(e.slot as string)),
      );
    });
  });

  describe('a bad signature reverts, whoever sends it', () => {
    for (const sender of ['admin', 'writer', 'outsider']) {
      describe(`sent by the ${sender}`, () => {
        it('no signature (zeros), or r or s out of [1, n-1]', async () => {
          const f = await loadFixture(deploy);
          const from = f.senders[sender];
          const grant = await signedGrant(f);
          await expect(sendGrant(f, grant, from, ZERO_SIGNATURE))
            .to.be.revertedWithCustomError(f.registry, 'PatientAccessRegistrySignatureOutOfRange')
            .withArgs(ethers.ZeroHash, ethers.ZeroHash);
          const n = ethers.toBeHex(P256_ORDER, 32);
          await expect(sendGrant(f, grant, from, { r: n, s: grant.signature.s })).to.be.revertedWithCustomError(
            f.registry,
            'PatientAccessRegistrySignatureOutOfRange',
          );
          await expect(
            sendGrant(f, grant, from, { r: grant.signature.r, s: ethers.ZeroHash }),
          ).to.be.revertedWithCustomError(f.registry, 'PatientAccessRegistrySignatureOutOfRange');
          await expect(sendRevoke(f, await signedRevoke(f), from, ZERO_SIGNATURE)).to.be.revertedWithCustomError(
            f.registry,
            'PatientAccessRegistrySignatureOutOfRange',
          );
          await expectUnchanged(f);
        });

        it('a signature by another key', async () => {
          const f = await loadFixture(deploy);
          const from = f.senders[sender];
          const stranger = generatePatientSigningKey();
          await expect(sendGrant(f, await signedGrant(f, { signer: stranger }), from))
            .to.be.revertedWithCustomError(f.registry, 'PatientAccessRegistryBadSignature')
            .withArgs(PATIENT);
          await expect(sendRevoke(f, await signedRevoke(f, { signer: stranger }), from))
            .to.be.revertedWithCustomError(f.registry, 'PatientAccessRegistryBadSignature')
            .withArgs(PATIENT);
          await expectUnchanged(f);
        });

        it('a replayed nonce', async () => {
          const f = await loadFixture(deploy);
          const from = f.senders[sender];
          const grant = await signedGrant(f);
          await sendGrant(f, grant, f.outsider);
          await expect(sendGrant(f, grant, from))
            .to.be.revertedWithCustomError(f.registry, 'PatientAccessRegistryStaleNonce')
            .withArgs(1, 0);
          const revoke = await signedRevoke(f);
          await sendRevoke(f, revoke, f.outsider);
          await expect(sendRevoke(f, revoke, from))
            .to.be.revertedWithCustomError(f.registry, 'PatientAccessRegistryStaleNonce')
            .withArgs(2, 1);
          // A nonce ahead of the patient's is refused too: changes apply in the order signed.
          await expect(sendGrant(f, await signedGrant(f, { nonce: 3 }), from))
            .to.be.revertedWithCustomError(f.registry, 'PatientAccessRegistryStaleNonce')
            .withArgs(2, 3);
          expect(await f.registry.consentNonce(PATIENT)).to.equal(2n);
        });

        it('a signature for another chain id', async () => {
          const f = await loadFixture(deploy);
          const from = f.senders[sender];
          const otherChain = f.chainId + 1n;
          await expect(sendGrant(f, await signedGrant(f, { chainId: otherChain }), from)).to.be.revertedWithCustomError(
            f.registry,
            'PatientAccessRegistryBadSignature',
          );
          await expect(
            sendRevoke(f, await signedRevoke(f, { chainId: otherChain }), from),
          ).to.be.revertedWithCustomError(f.registry, 'PatientAccessRegistryBadSignature');
          await expectUnchanged(f);
        });

        it('a signature for another contract address (the same patient and key on a second registry)', async () => {
          const f = await loadFixture(deploy);
          const from = f.senders[sender];
          const grant = await signedGrant(f, { registry: f.otherRegistry });
          await expect(sendGrant(f, grant, from)).to.be.revertedWithCustomError(
            f.registry,
            'PatientAccessRegistryBadSignature',
          );
          const revoke = await signedRevoke(f, { registry: f.otherRegistry });
          await expect(sendRevoke(f, revoke, from)).to.be.revertedWithCustomError(
            f.registry,
            'PatientAccessRegistryBadSignature',
          );
          await expectUnchanged(f);
          // Each is valid where it was signed for.
          await f.otherRegistry
            .connect(from)
            .grantConsent(PATIENT, PROVIDER, 0, 0, grant.signature.r, grant.signature.s, grant.epochSlot);
          expect((await f.otherRegistry.consentOf(PATIENT, PROVIDER)).active).to.equal(true);
        });

        it('a message already expired when signed (expiresAt not after the block time)', async () => {
          const f = await loadFixture(deploy);
          const from = f.senders[sender];
          const now = await time.latest();
          for (const expiresAt of [1, now, now + 1]) {
            // now + 1 is the next block's timestamp: expiring as it is mined.
            await expect(sendGrant(f, await signedGrant(f, { expiresAt }), from)).to.be.revertedWithCustomError(
              f.registry,
              'PatientAccessRegistryExpiryInPast',
            );
          }
          await expectUnchanged(f);
        });

        it('a high-s signature (n - s of a valid one)', async () => {
          const f = await loadFixture(deploy);
          const from = f.senders[sender];
          const grant = await signedGrant(f);
          const malleated = highS(grant.signature);
          await expect(sendGrant(f, grant, from, malleated))
            .to.be.revertedWithCustomError(f.registry, 'PatientAccessRegistryHighS')
            .withArgs(malleated.s);
          const revoke = await signedRevoke(f);
          await expect(sendRevoke(f, revoke, from, highS(revoke.signature))).to.be.revertedWithCustomError(
            f.registry,
            'PatientAccessRegistryHighS',
          );
          await expectUnchanged(f);
          await sendGrant(f, grant, from);
          expect((await f.registry.consentOf(PATIENT, PROVIDER)).active).to.equal(true);
        });

        it('a signed field changed in transit (provider, expiry, slot, revocation slots)', async () => {
          const f = await loadFixture(deploy);
          const from = f.senders[sender];
          const grant = await signedGrant(f);
          const expiry = BigInt((await time.latest()) + 3600);
          for (const changed of [
            { ...grant, provider: OTHER_PROVIDER },
            { ...grant, expiresAt: expiry },
            { ...grant, epochSlot: slot() },
          ]) {
            await expect(sendGrant(f, changed, from)).to.be.revertedWithCustomError(
              f.registry,
              'PatientAccessRegistryBadSignature',
            );
          }
          const revoke = await signedRevoke(f);
          for (const changed of [
            { ...revoke, slots: [revoke.slots[1], revoke.slots[0]] },
            { ...revoke, slots: [revoke.slots[0]] },
            { ...revoke, publicKey: hex(generateEpochPublicKey()) },
          ]) {
            await expect(sendRevoke(f, changed, from)).to.be.revertedWithCustomError(
              f.registry,
              'PatientAccessRegistryBadSignature',
            );
          }
          await expectUnchanged(f);
        });
      });
    }

    async function expectUnchanged(f: Fixture): Promise<void> {
      expect(await f.registry.consentNonce(PATIENT)).to.equal(0n);
      expect((await f.registry.consentOf(PATIENT, PROVIDER)).active).to.equal(false);
      expect(await f.registry.epochCount(PATIENT)).to.equal(1n);
      expect(await f.registry.epochSlotHashes(PATIENT, 0)).to.deep.equal([sha256Hex(f.ownSlot)]);
    }

    it('a patient with no registered key', async () => {
      const f = await loadFixture(deploy);
      const grant = await signedGrant(f);
      await expect(
        f.registry
          .connect(f.writer)
          .grantConsent(key(9), PROVIDER, 0, 0, grant.signature.r, grant.signature.s, grant.epochSlot),
      )
        .to.be.revertedWithCustomError(f.registry, 'PatientAccessRegistryNoPatientKey')
        .withArgs(key(9));
      const revoke = await signedRevoke(f);
      await expect(
        f.registry
          .connect(f.writer)
          .revokeConsent(key(9), PROVIDER, 0, revoke.signature.r, revoke.signature.s, revoke.publicKey, revoke.slots),
      ).to.be.revertedWithCustomError(f.registry, 'PatientAccessRegistryNoPatientKey');
    });
  });

  describe('epoch data', () => {
    it('takes a grant slot of 1 and 4096 bytes, refuses an empty one and one of 4097', async () => {
      const f = await loadFixture(deploy);
      for (const [length, index] of [
        [0, 0],
        [4097, 0],
      ]) {
        await expect(sendGrant(f, await signedGrant(f, { slot: slot(length) }), f.writer))
          .to.be.revertedWithCustomError(f.registry, 'PatientAccessRegistryBadKeyEnvelope')
          .withArgs(index, length);
      }
      await sendGrant(f, await signedGrant(f, { slot: slot(4096) }), f.writer);
      await sendGrant(f, await signedGrant(f, { slot: slot(1), provider: OTHER_PROVIDER }), f.writer);
      expect((await f.registry.epochSlotHashes(PATIENT, 0)).length).to.equal(3);
    });

    it('refuses a revocation whose new epoch key is not 65 bytes, has no slots or a bad slot', async () => {
      const f = await loadFixture(deploy);
      const revoke = await signedRevoke(f);
      await expect(sendRevoke(f, { ...revoke, publicKey: ethers.dataSlice(revoke.publicKey, 1) }, f.writer))
        .to.be.revertedWithCustomError(f.registry, 'PatientAccessRegistryBadEpochKey')
        .withArgs(64);
      await expect(sendRevoke(f, { ...revoke, slots: [] }, f.writer)).to.be.revertedWithCustomError(
        f.registry,
        'PatientAccessRegistryNoEpochSlots',
      );
      await expect(sendRevoke(f, { ...revoke, slots: [revoke.slots[0], slot(4097)] }, f.writer))
        .to.be.revertedWithCustomError(f.registry, 'PatientAccessRegistryBadKeyEnvelope')
        .withArgs(1, 4097);
    });

    it('grants append to the current epoch; each revocation starts the next; event slots hash to the stored hashes', async () => {
      const f = await loadFixture(deploy);
      const receipts: ContractTransactionReceipt[] = [];
      const run = async (tx: Promise<{ wait(): Promise<ContractTransactionReceipt | null> }>) =>
        receipts.push((await (await tx).wait())!);
      await run(sendGrant(f, await signedGrant(f), f.outsider));
      await run(sendGrant(f, await signedGrant(f, { provider: OTHER_PROVIDER }), f.outsider));
      await run(sendRevoke(f, await signedRevoke(f, { slots: [slot()] }), f.outsider));
      await run(sendGrant(f, await signedGrant(f), f.outsider));
      await run(
        sendRevoke(f, await signedRevoke(f, { provider: OTHER_PROVIDER, slots: [slot(), slot(), slot()] }), f.outsider),
      );

      expect(await f.registry.epochCount(PATIENT)).to.equal(3n);
      expect(await f.registry.consentNonce(PATIENT)).to.equal(5n);
      const slotsByEpoch: string[][] = [[f.ownSlot], [], []];
      for (const receipt of receipts) {
        for (const added of eventArgs(f.registry, receipt, 'EpochSlotAdded')) {
          expect(added.index).to.equal(BigInt(slotsByEpoch[Number(added.epoch)].length));
          slotsByEpoch[Number(added.epoch)].push(added.slot as string);
        }
      }
      expect(slotsByEpoch.map((slots) => slots.length)).to.deep.equal([3, 2, 3]);
      for (const [epoch, slots] of slotsByEpoch.entries()) {
        expect(await f.registry.epochSlotHashes(PATIENT, epoch)).to.deep.equal(slots.map((s) => sha256Hex(s)));
      }
      const [providers, consents] = await f.registry.consentsOf(PATIENT);
      expect(providers).to.deep.equal([PROVIDER, OTHER_PROVIDER]);
      expect(consents.map((c) => c.active)).to.deep.equal([true, false]);
    });
  });

  describe('consent state', () => {
    it('re-grants with an expiry, and lists each provider once with its current consent', async () => {
      const f = await loadFixture(deploy);
      await sendGrant(f, await signedGrant(f), f.writer);
      await sendGrant(f, await signedGrant(f, { provider: OTHER_PROVIDER }), f.writer);
      const expiry = (await time.latest()) + 3600;
      await sendGrant(f, await signedGrant(f, { expiresAt: expiry }), f.writer);
      await sendRevoke(f, await signedRevoke(f, { provider: OTHER_PROVIDER }), f.writer);
      expect((await f.registry.consentOf(PATIENT, PROVIDER)).expiresAt).to.equal(BigInt(expiry));
      const revoked = await f.registry.consentOf(PATIENT, OTHER_PROVIDER);
      expect([revoked.active, revoked.grantedAt, revoked.expiresAt]).to.deep.equal([false, 0n, 0n]);
      let [providers, consents] = await f.registry.consentsOf(PATIENT);
      expect(providers).to.deep.equal([PROVIDER, OTHER_PROVIDER]);
      expect(consents.map((c) => c.active)).to.deep.equal([true, false]);

      await sendGrant(f, await signedGrant(f, { provider: OTHER_PROVIDER }), f.writer);
      [providers, consents] = await f.registry.consentsOf(PATIENT);
      expect(providers).to.deep.equal([PROVIDER, OTHER_PROVIDER]);
      expect(consents.map((c) => c.active)).to.deep.equal([true, true]);
      expect((await f.registry.consentsOf(key(9)))[0]).to.deep.equal([]);
    });

    it(`a first grant with a ${SLOT_BYTES}-byte slot costs ≤ ${GRANT_GAS_TARGET.toLocaleString('en-US')} gas`, async () => {
      const f = await loadFixture(deploy);
      const receipt = (await (await sendGrant(f, await signedGrant(f), f.outsider)).wait())!;
      expect(receipt.gasUsed <= GRANT_GAS_TARGET, `grant used ${receipt.gasUsed} gas`).to.equal(true);
    });
  });

  describe('replacing the patient key', () => {
    async function signedReplace(f: Fixture, next: PatientSigningKey, signer: PatientSigningKey, nonce?: bigint) {
      const useNonce = nonce ?? (await f.registry.consentNonce(PATIENT));
      const message = encodeConsentMessage({
        chainId: f.chainId,
        registry: await f.registry.getAddress(),
        action: ACTION_REPLACE_KEY,
        patientKey: PATIENT,
        providerKey: ethers.ZeroHash,
        expiresAt: 0,
        nonce: useNonce,
        dataHash: replaceKeyDataHash(next.x, next.y),
      });
      return { nonce: useNonce, message, signature: signMessage(signer, message) };
    }

    it('takes a new key signed by the current one, from any sender; the old key signs nothing after', async () => {
      const f = await loadFixture(deploy);
      const next = generatePatientSigningKey();
      const replace = await signedReplace(f, next, f.patientSigner);
      await expect(
        f.registry
          .connect(f.outsider)
          .replacePatientKey(PATIENT, next.x, next.y, replace.nonce, replace.signature.r, replace.signature.s),
      )
        .to.emit(f.registry, 'PatientKeyReplaced')
        .withArgs(PATIENT, next.x, next.y, 0, replace.message, replace.signature.r, replace.signature.s);
      expect(replace.message).to.equal(
        await f.registry.consentMessage(
          ACTION_REPLACE_KEY,
          PATIENT,
          ethers.ZeroHash,
          0,
          0,
          replaceKeyDataHash(next.x, next.y),
        ),
      );
      expect(await f.registry.patientSigningKey(PATIENT)).to.deep.equal([next.x, next.y]);
      expect(await f.registry.consentNonce(PATIENT)).to.equal(1n);

      await expect(sendGrant(f, await signedGrant(f), f.writer)).to.be.revertedWithCustomError(
        f.registry,
        'PatientAccessRegistryBadSignature',
      );
      await sendGrant(f, await signedGrant(f, { signer: next }), f.writer);
      expect((await f.registry.consentOf(PATIENT, PROVIDER)).active).to.equal(true);
    });

    it('refuses a replacement signed by another key (even the new one), replayed, or to a zero coordinate', async () => {
      const f = await loadFixture(deploy);
      const next = generatePatientSigningKey();
      for (const sender of [f.admin, f.writer]) {
        for (const signer of [next, generatePatientSigningKey()]) {
          const replace = await signedReplace(f, next, signer);
          await expect(
            f.registry
              .connect(sender)
              .replacePatientKey(PATIENT, next.x, next.y, replace.nonce, replace.signature.r, replace.signature.s),
          )
            .to.be.revertedWithCustomError(f.registry, 'PatientAccessRegistryBadSignature')
            .withArgs(PATIENT);
        }
      }
      expect(await f.registry.patientSigningKey(PATIENT)).to.deep.equal([f.patientSigner.x, f.patientSigner.y]);

      const replace = await signedReplace(f, next, f.patientSigner);
      const send = () =>
        f.registry
          .connect(f.writer)
          .replacePatientKey(PATIENT, next.x, next.y, replace.nonce, replace.signature.r, replace.signature.s);
      await send();
      await expect(send()).to.be.revertedWithCustomError(f.registry, 'PatientAccessRegistryStaleNonce').withArgs(1, 0);
      await expect(
        f.registry
          .connect(f.writer)
          .replacePatientKey(PATIENT, ethers.ZeroHash, next.y, 1, replace.signature.r, replace.signature.s),
      ).to.be.revertedWithCustomError(f.registry, 'PatientAccessRegistryBadSigningKey');
    });
  });
});
