/**
 * Gas and time of one signed consent grant (PatientAccessRegistry.grantConsent with a 115-byte
 * epoch slot) for patients holding 10 and 10,000 records on EmrRegistry, on the bench's anvil
 * chain. Records live in the other contract and a grant writes a fixed set of slots, so the gas
 * must not move with the record count; this shows it rather than assuming it.
 */
import { randomBytes } from 'node:crypto';
import { getBytes, JsonRpcProvider, type TransactionReceipt, Wallet } from 'ethers';
import { EmrRegistry__factory, PatientAccessRegistry__factory } from '../../typechain-types';
import {
  ACTION_GRANT,
  encodeConsentMessage,
  generateEpochPublicKey,
  generatePatientSigningKey,
  type PatientSigningKey,
  sha256Hex,
  signMessage,
} from '../../test/support/consent-signature';

export const CONSENT_RECORD_COUNTS = [10, 10_000];
export const CONSENT_GRANT_TARGET_GAS = 150_000;
/** An HPKE envelope of the epoch private key to one recipient. */
export const CONSENT_SLOT_BYTES = 115;
/** Grants timed per patient (each to a new provider); the first one's gas is the figure. */
const TIMED_GRANTS = 9;
const RECEIPT_POLL_MS = 2;
const RECEIPT_TIMEOUT_MS = 60_000;
const TX_BASE_GAS = 21_000;
const ZERO_BYTE_GAS = 4;
const NONZERO_BYTE_GAS = 16;
/** Empty-content commits mined per block while filling a history (automine off). */
const COMMITS_PER_BLOCK = 500;
/** Gas limit given to each empty-content commit (it uses ~250,000 with a first record slot). */
const COMMIT_GAS = 400_000;

export interface ConsentGrantRow {
  readonly records: number;
  /** recordCount(patient) read back from EmrRegistry before the grant. */
  readonly recordsOnChain: number;
  readonly firstGrantGas: number;
  /** firstGrantGas minus the intrinsic 21,000 and calldata gas (which vary with the random keys' zero bytes). */
  readonly firstGrantExecutionGas: number;
  readonly maxGrantGas: number;
  readonly grants: number;
  readonly medianGrantMs: number;
  readonly fillSeconds: number;
  readonly meetsTarget: boolean;
}

export interface ConsentGrantResults {
  readonly slotBytes: number;
  readonly targetGas: number;
  /** Every row's first grant used the same execution gas. */
  readonly independentOfRecords: boolean;
  readonly rows: ConsentGrantRow[];
}

export interface ConsentGrantBenchOptions {
  readonly provider: JsonRpcProvider;
  readonly privateKey: string;
  readonly registryAddress: string;
  readonly accessRegistryAddress: string;
  readonly chainId: number;
  readonly progress?: (line: string) => void;
}

interface BenchPatient {
  readonly records: number;
  readonly recordsOnChain: number;
  readonly fillSeconds: number;
  readonly patientKey: string;
  readonly signer: PatientSigningKey;
  readonly gas: number[];
  readonly executionGas: number[];
  readonly ms: number[];
}

/**
 * Fills every history first, then grants for the patients taking turns, so each grant is timed on
 * the same chain state (anvil's per-block work grows with the whole state, not with this patient).
 */
export async function measureConsentGrants(options: ConsentGrantBenchOptions): Promise<ConsentGrantResults> {
  const wallet = new Wallet(options.privateKey, options.provider);
  const records = EmrRegistry__factory.connect(options.registryAddress, wallet);
  const access = PatientAccessRegistry__factory.connect(options.accessRegistryAddress, wallet);
  const patients: BenchPatient[] = [];
  for (const count of CONSENT_RECORD_COUNTS) {
    const patientKey = hex32();
    const fillStarted = Date.now();
    await fillHistory(options, patientKey, count);
    const fillSeconds = (Date.now() - fillStarted) / 1_000;
    const recordsOnChain = Number(await records.recordCount(patientKey));
    if (recordsOnChain !== count) throw new Error(`filled ${recordsOnChain} records, expected ${count}`);
    options.progress?.(`consent gas: ${count} records filled in ${fillSeconds.toFixed(1)} s`);
    const signer = generatePatientSigningKey();
    const register = await access.registerPatientKey(patientKey, signer.x, signer.y, generateEpochPublicKey(), [
      randomBytes(CONSENT_SLOT_BYTES),
    ]);
    await receiptOf(options.provider, register.hash);
    patients.push({
      records: count,
      recordsOnChain,
      fillSeconds: Math.round(fillSeconds * 10) / 10,
      patientKey,
      signer,
      gas: [],
      executionGas: [],
      ms: [],
    });
  }

  for (let nonce = 0; nonce < TIMED_GRANTS; nonce++) {
    for (const patient of patients) {
      const providerKey = hex32();
      const slot = randomBytes(CONSENT_SLOT_BYTES);
      const message = encodeConsentMessage({
        chainId: BigInt(options.chainId),
        registry: options.accessRegistryAddress,
        action: ACTION_GRANT,
        patientKey: patient.patientKey,
        providerKey,
        expiresAt: 0,
        nonce,
        dataHash: sha256Hex(slot),
      });
      const { r, s } = signMessage(patient.signer, message);
      const started = performance.now();
      const tx = await access.grantConsent(patient.patientKey, providerKey, 0, nonce, r, s, slot);
      const receipt = await receiptOf(options.provider, tx.hash);
      patient.ms.push(performance.now() - started);
      if (receipt.status !== 1) throw new Error('a consent grant failed');
      patient.gas.push(Number(receipt.gasUsed));
      patient.executionGas.push(Number(receipt.gasUsed) - intrinsicGas(tx.data));
    }
  }

  const rows = patients.map((patient) => ({
    records: patient.records,
    recordsOnChain: patient.recordsOnChain,
    firstGrantGas: patient.gas[0],
    firstGrantExecutionGas: patient.executionGas[0],
    maxGrantGas: Math.max(...patient.gas),
    grants: patient.gas.length,
    medianGrantMs: Math.round(median(patient.ms) * 100) / 100,
    fillSeconds: patient.fillSeconds,
    meetsTarget: Math.max(...patient.gas) <= CONSENT_GRANT_TARGET_GAS,
  }));
  return {
    slotBytes: CONSENT_SLOT_BYTES,
    targetGas: CONSENT_GRANT_TARGET_GAS,
    independentOfRecords: rows.every((row) => row.firstGrantExecutionGas === rows[0].firstGrantExecutionGas),
    rows,
  };
}

/**
 * Appends `count` empty-content records for `patientKey` (as EmrRegistry's scale test does): automine
 * off, transactions signed here with explicit nonces and sent concurrently (ethers batches the
 * JSON-RPC calls), one block mined per COMMITS_PER_BLOCK.
 */
async function fillHistory(options: ConsentGrantBenchOptions, patientKey: string, count: number): Promise<void> {
  const { provider } = options;
  const wallet = new Wallet(options.privateKey);
  const face = EmrRegistry__factory.createInterface();
  const fees = await provider.getFeeData();
  let nonce = await provider.getTransactionCount(wallet.address, 'pending');
  await provider.send('evm_setAutomine', [false]);
  try {
    for (let start = 0; start < count; start += COMMITS_PER_BLOCK) {
      const signed: Promise<string>[] = [];
      for (let i = start; i < Math.min(count, start + COMMITS_PER_BLOCK); i++) {
        const recordId = hex32();
        const data = face.encodeFunctionData('commitRecord', [
          {
            patientKey,
            recordId,
            contentSha256: recordId,
            signerKeyId: recordId,
            contentLength: 0,
            chunks: [],
            sealedHeader: '0x',
            keyEnvelope: '0x',
            signature: '0x',
          },
          [],
        ]);
        signed.push(
          wallet.signTransaction({
            type: 2,
            chainId: options.chainId,
            nonce: nonce++,
            to: options.registryAddress,
            data,
            gasLimit: COMMIT_GAS,
            maxFeePerGas: fees.maxFeePerGas! * 2n,
            maxPriorityFeePerGas: fees.maxPriorityFeePerGas!,
          }),
        );
      }
      const hashes = await Promise.all(
        (await Promise.all(signed)).map((raw) => provider.send('eth_sendRawTransaction', [raw]) as Promise<string>),
      );
      await provider.send('evm_mine', []);
      const receipt = await provider.getTransactionReceipt(hashes[hashes.length - 1]);
      if (receipt?.status !== 1) throw new Error(`record commits from ${start} failed`);
    }
  } finally {
    await provider.send('evm_setAutomine', [true]);
  }
}

/** Polls for the receipt every RECEIPT_POLL_MS (tx.wait() polls every 4 s, which would swamp the timing). */
async function receiptOf(provider: JsonRpcProvider, hash: string): Promise<TransactionReceipt> {
  const deadline = Date.now() + RECEIPT_TIMEOUT_MS;
  for (;;) {
    const receipt = await provider.getTransactionReceipt(hash);
    if (receipt) return receipt;
    if (Date.now() > deadline) throw new Error(`no receipt for ${hash}`);
    await new Promise((resolve) => setTimeout(resolve, RECEIPT_POLL_MS));
  }
}

/** 21,000 + calldata at 4 gas per zero byte and 16 per other byte (EIP-2028). */
function intrinsicGas(data: string): number {
  return getBytes(data).reduce((sum, byte) => sum + (byte === 0 ? ZERO_BYTE_GAS : NONZERO_BYTE_GAS), TX_BASE_GAS);
}

function hex32(): string {
  return `0x${randomBytes(32).toString('hex')}`;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
