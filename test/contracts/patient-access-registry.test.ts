import { expect } from 'chai';
import { ethers } from 'hardhat';
import { loadFixture } from '@nomicfoundation/hardhat-network-helpers';

const key = (n: number) => ethers.zeroPadValue(ethers.toBeHex(n), 32);
const publicKey = (fill: number) => '0x04' + fill.toString(16).padStart(2, '0').repeat(64);

describe('PatientAccessRegistry', () => {
  async function deploy() {
    const [admin, writer, outsider] = await ethers.getSigners();
    const registry = await ethers.deployContract('PatientAccessRegistry', [admin.address, writer.address]);
    return { registry: registry.connect(writer), admin, writer, outsider, writerRole: await registry.WRITER_ROLE() };
  }

  describe('access control', () => {
    it('lets only writers publish keys, register patient signing keys and append to the log', async () => {
      const { registry, outsider, writerRole } = await loadFixture(deploy);
      const asOutsider = registry.connect(outsider);
      await expect(asOutsider.publishPublicKey(key(1), publicKey(1)))
        .to.be.revertedWithCustomError(registry, 'AccessControlUnauthorizedAccount')
        .withArgs(outsider.address, writerRole);
      // Consent changes are open to any sender and checked by the patient's signature instead
      // (patient-access-registry.consent-signatures.test.ts).
      await expect(asOutsider.registerPatientKey(key(1), key(2), key(3), publicKey(1), ['0x01']))
        .to.be.revertedWithCustomError(registry, 'AccessControlUnauthorizedAccount')
        .withArgs(outsider.address, writerRole);
      await expect(asOutsider.appendAccessLog([]))
        .to.be.revertedWithCustomError(registry, 'AccessControlUnauthorizedAccount')
        .withArgs(outsider.address, writerRole);
    });

    it('refuses a zero admin or writer', async () => {
      const [admin] = await ethers.getSigners();
      const factory = await ethers.getContractFactory('PatientAccessRegistry');
      await expect(factory.deploy(admin.address, ethers.ZeroAddress)).to.be.revertedWithCustomError(
        factory,
        'PatientAccessRegistryZeroAddress',
      );
    });
  });

  describe('public keys', () => {
    it('publishes and rotates a key with an event, and refuses a wrong length', async () => {
      const { registry } = await loadFixture(deploy);
      expect(await registry.publicKeyOf(key(7))).to.equal('0x');
      await expect(registry.publishPublicKey(key(7), publicKey(1)))
        .to.emit(registry, 'PublicKeyPublished')
        .withArgs(key(7), publicKey(1));
      await registry.publishPublicKey(key(7), publicKey(2));
      expect(await registry.publicKeyOf(key(7))).to.equal(publicKey(2));
      await expect(registry.publishPublicKey(key(7), '0x04ab'))
        .to.be.revertedWithCustomError(registry, 'PatientAccessRegistryBadPublicKey')
        .withArgs(2);
    });
  });

  describe('access log', () => {
    const entry = (patient: number, n: number, kind = 1, note = '0x' + 'ee'.repeat(200)) => ({
      patientKey: key(patient),
      accessorKey: key(100 + n),
      recordId: key(1000 + n),
      readAt: 1_700_000_000 + n,
      kind,
      sealedNote: note,
    });

    it('appends a batch with one event per entry and pages newest first', async () => {
      const { registry } = await loadFixture(deploy);
      await expect(registry.appendAccessLog([entry(1, 1, 0), entry(2, 2), entry(1, 3, 2)]))
        .to.emit(registry, 'AccessLogged')
        .withArgs(key(1), key(103), key(1003), 2, 1_700_000_003, 2);
      expect(await registry.accessLogLength(key(1))).to.equal(2n);
      expect(await registry.accessLogLength(key(2))).to.equal(1n);

      const [entries, positions] = await registry.accessLogPage(key(1), 0, 10);
      expect(positions).to.deep.equal([2n, 1n]);
      expect(entries[0].recordId).to.equal(key(1003));
      expect(entries[0].kind).to.equal(2n);
      expect(entries[1].sealedNote).to.equal('0x' + 'ee'.repeat(200));

      const [older, olderPositions] = await registry.accessLogPage(key(1), 2, 10);
      expect(olderPositions).to.deep.equal([1n]);
      expect(older[0].accessorKey).to.equal(key(101));
      expect((await registry.accessLogPage(key(1), 1, 10))[0]).to.deep.equal([]);
    });

    it('caps a page at MAX_PAGE entries', async () => {
      const { registry } = await loadFixture(deploy);
      const batch = Array.from({ length: 120 }, (_, n) => entry(5, n, 1, '0x'));
      await registry.appendAccessLog(batch);
      const [entries, positions] = await registry.accessLogPage(key(5), 0, 1000);
      expect(entries.length).to.equal(100);
      expect(positions[0]).to.equal(120n);
    });

    it('refuses an unknown kind or an oversized note', async () => {
      const { registry } = await loadFixture(deploy);
      await expect(registry.appendAccessLog([entry(1, 1), entry(1, 2, 3)]))
        .to.be.revertedWithCustomError(registry, 'PatientAccessRegistryBadEntry')
        .withArgs(1);
      await expect(registry.appendAccessLog([entry(1, 1, 1, '0x' + '00'.repeat(1025))]))
        .to.be.revertedWithCustomError(registry, 'PatientAccessRegistryBadEntry')
        .withArgs(0);
      expect(await registry.accessLogLength(key(1))).to.equal(0n);
    });

    describe('#11.2 emergency index', () => {
      it('#11.2 counts and pages emergency entries apart, however many other reads flood the log', async () => {
        const { registry } = await loadFixture(deploy);
        await registry.appendAccessLog([entry(1, 1, 2), entry(2, 2, 2)]);
        const flood = Array.from({ length: 105 }, (_, n) => entry(1, 10 + n, 0, '0x'));
        await registry.appendAccessLog(flood.slice(0, 60));
        await registry.appendAccessLog(flood.slice(60));
        await expect(registry.appendAccessLog([entry(1, 200, 2)]))
          .to.emit(registry, 'AccessLogged')
          .withArgs(key(1), key(300), key(1200), 2, 1_700_000_200, 107);
        await registry.appendAccessLog([entry(1, 201, 1)]);

        expect(await registry.emergencyCount(key(1))).to.equal(2n);
        expect(await registry.emergencyCount(key(2))).to.equal(1n);
        expect(await registry.emergencyCount(key(3))).to.equal(0n);
        const [entries, positions] = await registry.emergencyLogPage(key(1), 0, 10);
        expect(positions).to.deep.equal([107n, 1n]);
        expect(entries.map((e) => e.recordId)).to.deep.equal([key(1200), key(1001)]);
        expect(entries.every((e) => e.kind === 2n)).to.equal(true);
      });

      it('#11.2 pages below a position: boundaries at, just above and below an emergency entry', async () => {
        const { registry } = await loadFixture(deploy);
        // Positions 1..6, emergencies at 2, 4 and 5.
        await registry.appendAccessLog([1, 2, 1, 2, 2, 1].map((kind, n) => entry(1, n, kind)));
        const page = async (before: number, limit: number) =>
          (await registry.emergencyLogPage(key(1), before, limit))[1];
        expect(await page(0, 2)).to.deep.equal([5n, 4n]);
        expect(await page(4, 10)).to.deep.equal([2n]);
        expect(await page(5, 10)).to.deep.equal([4n, 2n]);
        expect(await page(6, 10)).to.deep.equal([5n, 4n, 2n]);
        expect(await page(1000, 10)).to.deep.equal([5n, 4n, 2n]);
        expect(await page(2, 10)).to.deep.equal([]);
        expect(await page(0, 0)).to.deep.equal([]);
        expect((await registry.emergencyLogPage(key(9), 0, 10))[1]).to.deep.equal([]);
      });

      it('#11.2 caps an emergency page at MAX_PAGE entries', async () => {
        const { registry } = await loadFixture(deploy);
        await registry.appendAccessLog(Array.from({ length: 101 }, (_, n) => entry(1, n, 2, '0x')));
        const [entries, positions] = await registry.emergencyLogPage(key(1), 0, 1000);
        expect(entries.length).to.equal(100);
        expect(positions[0]).to.equal(101n);
        expect(positions[99]).to.equal(2n);
      });
    });
  });
});
