/**
 * Gas per plaintext byte of an EMR upload through EvmEmrRepository (chunk transactions + commit),
 * next to the seed prototype's way (base64 string through storeData), on one local anvil chain.
 *
 *   npm run bench:gas        → markdown table on stdout, numbers in bench/gas-results.json
 *
 * Records are sealed for real: HPKE P-256 envelope to two recipients (patient and provider),
 * AES-256-GCM content and header, ECDSA P-256 signature, as the upload use case does.
 * The chain runs Osaka but without anvil's EIP-7825 check, only so that the seed-style
 * transactions (which need up to ~1 G gas each) can be measured at all; every transaction of
 * ours is checked against the 16,777,216 cap here.
 *
 * Then the gas (and time) of one signed consent grant for patients with 10 and 10,000 records
 * (bench/support/consent-grant-gas.ts), written to the same JSON under `consentGrant`.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { JsonRpcProvider, Wallet } from 'ethers';
import { NewLedgerRecord } from '../src/domain/emr-record';
import { encodeHeader, recordAad, recordSigningPayload } from '../src/domain/record-codec';
import { RecordId } from '../src/domain/record-id';
import { EcdsaP256RecordSigner } from '../src/infrastructure/crypto/ecdsa-p256.signer';
import { HpkeP256Cipher } from '../src/infrastructure/crypto/hpke-p256.cipher';
import { NodeHasher } from '../src/infrastructure/crypto/node-crypto.hasher';
import { startAnvil } from '../src/infrastructure/evm/anvil/anvil-process';
import { EIP7825_TX_GAS_CAP } from '../src/infrastructure/evm/registry/chunk-plan';
import { ANVIL_DEV_PRIVATE_KEY } from '../src/infrastructure/evm/anvil/embedded-ledgers';
import { EvmEmrRepository } from '../src/infrastructure/evm/evm-emr.repository';
import { deployRegistry } from '../src/infrastructure/evm/anvil/registry-deployment';
import { EmrRegistry__factory } from '../typechain-types';
import { type ConsentGrantResults, measureConsentGrants } from './support/consent-grant-gas';

const KIB = 1_024;
const SIZES = [1 * KIB, 24 * KIB, 256 * KIB, 1_024 * KIB];
/** 200 gas/byte code deposit (Yellow Paper G_codedeposit) + 16 gas/byte non-zero calldata (EIP-2028). */
const FLOOR_GAS_PER_BYTE = 216;
const TARGET_GAS_PER_BYTE = 230;
const TARGET_SIZES = new Set([256 * KIB, 1_024 * KIB]);
const TARGET_RATIO = 4;
const BENCH_CHAIN_ID = 1_337_199;
/** Enough for the seed-style 1 MiB transaction (~1 G gas). */
const BENCH_BLOCK_GAS_LIMIT = 3_000_000_000;
const HEADER_PART = 0;
const CONTENT_PART = 1;

interface Row {
  readonly plaintextBytes: number;
  readonly ciphertextBytes: number;
  readonly sealedHeaderBytes: number;
  readonly keyEnvelopeBytes: number;
  readonly signatureBytes: number;
  readonly transactions: number;
  readonly gas: number;
  readonly gasPerPlaintextByte: number;
  readonly largestTransactionGas: number;
  readonly seedGas: number;
  readonly seedGasPerPlaintextByte: number;
  readonly seedFitsOneOsakaTransaction: boolean;
  readonly seedOverOursRatio: number;
  readonly oursOverFloor: number;
  readonly meetsGasPerByteTarget: boolean | null;
  readonly meetsRatioTarget: boolean;
}

async function sealRecord(plaintext: Uint8Array): Promise<NewLedgerRecord> {
  const cipher = new HpkeP256Cipher();
  const [patient, provider] = [await cipher.generateKeyPair(), await cipher.generateKeyPair()];
  const signer = new EcdsaP256RecordSigner(EcdsaP256RecordSigner.generateSigningKeyPair());
  const patientKey = randomBytes(32);
  const recordId = RecordId.fromBytes(randomBytes(32));
  const header = encodeHeader({
    fileName: 'chest-xray-2024-03-14.png',
    contentType: 'image/png',
    size: plaintext.length,
    uploader: 'provider:radiology-01',
  });
  const parts = [];
  parts[HEADER_PART] = header;
  parts[CONTENT_PART] = plaintext;
  const sealed = await cipher.seal(parts, [patient.publicKey, provider.publicKey], recordAad(patientKey, recordId));
  const content = sealed.parts[CONTENT_PART];
  const sealedHeader = sealed.parts[HEADER_PART];
  const hasher = new NodeHasher();
  const contentSha256 = hasher.sha256(content);
  const keyEnvelopeSha256 = hasher.sha256(sealed.keyEnvelope);
  const signature = await signer.sign(
    recordSigningPayload({ chain: 'supchain', patientKey, recordId, contentSha256, sealedHeader, keyEnvelopeSha256 }),
  );
  return {
    recordId,
    patientKey,
    content,
    contentSha256,
    sealedHeader,
    keyEnvelope: sealed.keyEnvelope,
    signature,
    signerKeyId: signer.keyId(),
  };
}

async function main(): Promise<void> {
  const anvil = await startAnvil({
    chainId: BENCH_CHAIN_ID,
    enforceTxGasCap: false,
    unlimitedRequestSize: true,
    blockGasLimit: BENCH_BLOCK_GAS_LIMIT,
    label: 'bench',
  });
  // cacheTimeout -1: the seed-style wallet shares the account; a cached nonce would collide.
  const provider = new JsonRpcProvider(anvil.rpcUrl, BENCH_CHAIN_ID, { staticNetwork: true, cacheTimeout: -1 });
  const rows: Row[] = [];
  let consentGrant: ConsentGrantResults;
  try {
    const deployment = await deployRegistry({
      network: 'bench',
      rpcUrl: anvil.rpcUrl,
      chainId: BENCH_CHAIN_ID,
      deployerPrivateKey: ANVIL_DEV_PRIVATE_KEY,
    });
    const repository = await EvmEmrRepository.connect({
      chain: 'supchain',
      rpcUrl: anvil.rpcUrl,
      registryAddress: deployment.registryAddress,
      accessRegistryAddress: deployment.accessRegistryAddress,
      signerPrivateKey: ANVIL_DEV_PRIVATE_KEY,
      expectedChainId: BENCH_CHAIN_ID,
      confirmations: 1,
      timeoutMs: 120_000,
    });
    const seedRegistry = EmrRegistry__factory.connect(
      deployment.registryAddress,
      new Wallet(ANVIL_DEV_PRIVATE_KEY, provider),
    );

    for (const size of SIZES) {
      const plaintext = randomBytes(size);
      const record = await sealRecord(plaintext);
      const stored = await repository.append(record);
      const receipts = await Promise.all(stored.transactions.map((hash) => provider.getTransactionReceipt(hash)));
      const gasUsed = receipts.map((receipt) => Number(receipt!.gasUsed));
      const gas = gasUsed.reduce((sum, used) => sum + used, 0);
      const largest = Math.max(...gasUsed);
      if (largest > EIP7825_TX_GAS_CAP) throw new Error(`a ${size}-byte upload used ${largest} gas in one transaction`);

      const seedTx = await seedRegistry.storeData(`P-${size}`, Buffer.from(plaintext).toString('base64'), {
        gasLimit: BENCH_BLOCK_GAS_LIMIT - 1,
      });
      const seedGas = Number((await seedTx.wait())!.gasUsed);

      const gasPerByte = gas / size;
      const seedPerByte = seedGas / size;
      rows.push({
        plaintextBytes: size,
        ciphertextBytes: record.content.length,
        sealedHeaderBytes: record.sealedHeader.length,
        keyEnvelopeBytes: record.keyEnvelope.length,
        signatureBytes: record.signature.length,
        transactions: stored.transactions.length,
        gas,
        gasPerPlaintextByte: round(gasPerByte),
        largestTransactionGas: largest,
        seedGas,
        seedGasPerPlaintextByte: round(seedPerByte),
        seedFitsOneOsakaTransaction: seedGas <= EIP7825_TX_GAS_CAP,
        seedOverOursRatio: round(seedGas / gas),
        oursOverFloor: round(gasPerByte / FLOOR_GAS_PER_BYTE),
        meetsGasPerByteTarget: TARGET_SIZES.has(size) ? gasPerByte <= TARGET_GAS_PER_BYTE : null,
        meetsRatioTarget: seedGas / gas >= TARGET_RATIO,
      });
    }
    await repository.close();

    consentGrant = await measureConsentGrants({
      provider,
      privateKey: ANVIL_DEV_PRIVATE_KEY,
      registryAddress: deployment.registryAddress,
      accessRegistryAddress: deployment.accessRegistryAddress,
      chainId: BENCH_CHAIN_ID,
      progress: (line) => console.error(line),
    });
  } finally {
    provider.destroy();
    await anvil.stop();
  }

  console.log(markdown(rows));
  console.log(`\n${consentMarkdown(consentGrant)}`);
  const path = join(__dirname, 'gas-results.json');
  await writeFile(
    path,
    `${JSON.stringify(
      {
        generatedAt: new Date().toISOString(),
        chain: { node: 'anvil', hardfork: 'osaka', chainId: BENCH_CHAIN_ID },
        floorGasPerByte: FLOOR_GAS_PER_BYTE,
        targets: {
          gasPerPlaintextByte: TARGET_GAS_PER_BYTE,
          atSizes: [...TARGET_SIZES],
          seedOverOursRatio: TARGET_RATIO,
        },
        rows,
        consentGrant,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`\nJSON: ${path}`);
}

function markdown(rows: readonly Row[]): string {
  const lines = [
    '| plaintext | ciphertext | txs | gas (ours) | gas/byte (ours) | ≤ 230? | seed-style gas | gas/byte (seed) | seed fits 1 Osaka tx? | seed ÷ ours | ≥ 4×? | floor | ours ÷ floor |',
    '|---:|---:|---:|---:|---:|:---:|---:|---:|:---:|---:|:---:|---:|---:|',
  ];
  for (const row of rows) {
    const target = row.meetsGasPerByteTarget === null ? 'n/a' : row.meetsGasPerByteTarget ? 'yes' : '**MISS**';
    lines.push(
      `| ${size(row.plaintextBytes)} | ${row.ciphertextBytes.toLocaleString('en-US')} B | ${row.transactions} | ` +
        `${row.gas.toLocaleString('en-US')} | ${row.gasPerPlaintextByte} | ${target} | ` +
        `${row.seedGas.toLocaleString('en-US')} | ${row.seedGasPerPlaintextByte} | ` +
        `${row.seedFitsOneOsakaTransaction ? 'yes' : 'no'} | ${row.seedOverOursRatio}× | ` +
        `${row.meetsRatioTarget ? 'yes' : '**MISS**'} | ${FLOOR_GAS_PER_BYTE} | ${row.oursOverFloor} |`,
    );
  }
  const sample = rows[0];
  lines.push(
    '',
    `Sealed sizes per record: header ${sample.sealedHeaderBytes} B, key envelope ${sample.keyEnvelopeBytes} B ` +
      `(two recipients), signature ${sample.signatureBytes} B; ciphertext = plaintext + 16 B GCM tag.`,
  );
  return lines.join('\n');
}

function consentMarkdown(results: ConsentGrantResults): string {
  const lines = [
    `| records of the patient | first grant gas | ≤ ${results.targetGas.toLocaleString('en-US')}? | execution gas | max of ${results.rows[0].grants} grants | median grant time |`,
    '|---:|---:|:---:|---:|---:|---:|',
  ];
  for (const row of results.rows) {
    lines.push(
      `| ${row.records.toLocaleString('en-US')} | ${row.firstGrantGas.toLocaleString('en-US')} | ` +
        `${row.meetsTarget ? 'yes' : '**MISS**'} | ${row.firstGrantExecutionGas.toLocaleString('en-US')} | ${row.maxGrantGas.toLocaleString('en-US')} | ${row.medianGrantMs} ms |`,
    );
  }
  lines.push(
    '',
    `Signed grantConsent with a ${results.slotBytes}-byte epoch slot; execution gas (total minus 21,000 and calldata) ` +
      'independent of the record count: ' +
      `${results.independentOfRecords ? 'yes' : '**NO**'}.`,
  );
  return lines.join('\n');
}

function size(bytes: number): string {
  return bytes >= 1_024 * KIB ? `${bytes / (1_024 * KIB)} MiB` : `${bytes / KIB} KiB`;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
