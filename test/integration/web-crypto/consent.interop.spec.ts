import { AbiCoder, getBytes, sha256 } from 'ethers';
import { bytesToHex, concatBytes, hexToBytes, lengthPrefixed } from '../../../src/domain/bytes';
import { EcdsaP256RecordSigner } from '../../../src/infrastructure/crypto/ecdsa-p256.signer';
import { ConsentFields, loadWebCrypto, WebCryptoModule } from './web-crypto-module';

const REGISTRY = '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512';
const CONSENT_TYPES = ['bytes32', 'uint256', 'address', 'uint8', 'bytes32', 'bytes32', 'uint64', 'uint64', 'bytes32'];

/** abi.encode(DOMAIN, chainId, registry, action, patientKey, providerKey, expiresAt, nonce, dataHash), by ethers. */
function abiEncode(fields: Required<Omit<ConsentFields, 'providerKey'>> & { providerKey: Uint8Array }): Uint8Array {
  const domain = sha256(new TextEncoder().encode('patient-centric-emr/PatientAccessRegistry/v2'));
  return getBytes(
    AbiCoder.defaultAbiCoder().encode(CONSENT_TYPES, [
      domain,
      fields.chainId,
      fields.registry,
      fields.action,
      fields.patientKey,
      fields.providerKey,
      fields.expiresAt,
      fields.nonce,
      fields.dataHash,
    ]),
  );
}

describe('consent messages of the web crypto module against ethers and EcdsaP256RecordSigner', () => {
  let web: WebCryptoModule;

  beforeAll(async () => {
    web = await loadWebCrypto();
  });

  it('#14 consentMessage is ethers’ abi.encode of the contract’s nine values, for each action', async () => {
    const epoch = await web.generateP256KeyPair('ECDH');
    const slot = new Uint8Array(115).fill(0x5c);
    const nextKey = await web.generateP256KeyPair('ECDSA');
    const { x, y } = await web.signingKeyCoordinates(nextKey.publicKey);
    const base = {
      chainId: 11155111n,
      registry: REGISTRY,
      patientKey: hexToBytes('aa'.repeat(32)),
      nonce: 0xfedcba9876543210n,
    };
    const cases = [
      {
        ...base,
        action: 1 as const,
        providerKey: hexToBytes('bb'.repeat(32)),
        expiresAt: 2n ** 63n,
        dataHash: await web.grantDataHash(slot),
      },
      {
        ...base,
        action: 2 as const,
        providerKey: hexToBytes('bb'.repeat(32)),
        expiresAt: 0n,
        dataHash: await web.revokeDataHash(epoch.publicKey, [slot]),
      },
      {
        ...base,
        action: 3 as const,
        providerKey: new Uint8Array(32),
        expiresAt: 0n,
        dataHash: await web.replaceKeyDataHash(x, y),
      },
    ];
    for (const fields of cases) {
      expect(bytesToHex(web.consentMessage(fields))).toBe(bytesToHex(abiEncode(fields)));
    }
    // The data hashes as the contract computes them: sha256(slot), sha256(lp(key) ‖ lp(slot)), sha256(x ‖ y).
    expect(bytesToHex(cases[0].dataHash)).toBe(sha256(slot).slice(2));
    expect(bytesToHex(cases[1].dataHash)).toBe(
      sha256(concatBytes(lengthPrefixed(epoch.publicKey), lengthPrefixed(slot))).slice(2),
    );
    expect(bytesToHex(cases[2].dataHash)).toBe(sha256(concatBytes(x, y)).slice(2));
    expect(bytesToHex(web.CONSENT_DOMAIN)).toBe(
      sha256(new TextEncoder().encode('patient-centric-emr/PatientAccessRegistry/v2')).slice(2),
    );
  });

  it('#14 a consent signature from the page verifies in EcdsaP256RecordSigner.verifyWithPublicKey; another message does not', async () => {
    const patient = await web.generateP256KeyPair('ECDSA');
    const fields: ConsentFields = {
      chainId: 31337n,
      registry: REGISTRY,
      action: 1,
      patientKey: hexToBytes('aa'.repeat(32)),
      providerKey: hexToBytes('bb'.repeat(32)),
      nonce: 3n,
      dataHash: hexToBytes('cc'.repeat(32)),
    };
    const { message, r, s } = await web.signConsent(patient.privateKey, fields);
    const verifier = new EcdsaP256RecordSigner(EcdsaP256RecordSigner.generateSigningKeyPair());
    const signature = hexToBytes(r.slice(2) + s.slice(2));
    await expect(verifier.verifyWithPublicKey(message, signature, patient.publicKey)).resolves.toBe(true);
    const otherNonce = web.consentMessage({ ...fields, nonce: 4n });
    await expect(verifier.verifyWithPublicKey(otherNonce, signature, patient.publicKey)).resolves.toBe(false);
  });
});
