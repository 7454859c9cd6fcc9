/** Drives EmrRegistry the way the EVM adapter does: planned storeChunks batches, then one commit. */
import { randomBytes } from 'node:crypto';
import { ethers } from 'hardhat';
import type { TransactionReceipt } from 'ethers';
import type { EmrRegistry } from '../../typechain-types';
import { planUpload } from '../../src/infrastructure/evm/registry/chunk-plan';

export interface TestRecord {
  readonly patientKey: string;
  readonly recordId: string;
  readonly content: Uint8Array;
  readonly contentSha256: string;
  readonly signerKeyId: string;
  readonly sealedHeader: Uint8Array;
  readonly keyEnvelope: Uint8Array;
  readonly signature: Uint8Array;
}

export interface UploadResult {
  readonly version: bigint;
  readonly chunks: string[];
  readonly receipts: TransactionReceipt[];
  readonly gasLimits: number[];
}

export function randomHex32(): string {
  return ethers.hexlify(randomBytes(32));
}

/** A record with random bytes of realistic sizes (header ~120, envelope ~150, signature 64). */
export function makeRecord(contentLength: number, patientKey = randomHex32()): TestRecord {
  const content = randomBytes(contentLength);
  return {
    patientKey,
    recordId: randomHex32(),
    content,
    contentSha256: ethers.sha256(content),
    signerKeyId: randomHex32(),
    sealedHeader: randomBytes(120),
    keyEnvelope: randomBytes(150),
    signature: randomBytes(64),
  };
}

export function sealedFieldsBytes(record: TestRecord): number {
  return record.sealedHeader.length + record.keyEnvelope.length + record.signature.length;
}

export function chunkAddressesFrom(registry: EmrRegistry, receipt: TransactionReceipt): string[] {
  const out: string[] = [];
  for (const log of receipt.logs) {
    const parsed = registry.interface.parseLog(log);
    if (parsed?.name === 'ChunkStored') out.push(parsed.args.chunk as string);
  }
  return out;
}

export function commitInput(record: TestRecord, chunks: string[]): EmrRegistry.RecordInputStruct {
  return {
    patientKey: record.patientKey,
    recordId: record.recordId,
    contentSha256: record.contentSha256,
    signerKeyId: record.signerKeyId,
    contentLength: record.content.length,
    chunks,
    sealedHeader: record.sealedHeader,
    keyEnvelope: record.keyEnvelope,
    signature: record.signature,
  };
}

/** Uploads `record` with the adapter's plan and explicit (computed) gas limits. */
export async function uploadRecord(registry: EmrRegistry, record: TestRecord): Promise<UploadResult> {
  const plan = planUpload(record.content.length, sealedFieldsBytes(record));
  const slice = (chunk: { start: number; end: number }): Uint8Array => record.content.subarray(chunk.start, chunk.end);
  const receipts: TransactionReceipt[] = [];
  const chunks: string[] = [];
  const gasLimits: number[] = [];
  for (const [i, batch] of plan.batches.entries()) {
    gasLimits.push(plan.batchGasLimits[i]);
    const tx = await registry.storeChunks(record.recordId, batch[0].index, batch.map(slice), {
      gasLimit: plan.batchGasLimits[i],
    });
    const receipt = (await tx.wait())!;
    receipts.push(receipt);
    chunks.push(...chunkAddressesFrom(registry, receipt));
  }
  gasLimits.push(plan.commitGasLimit);
  const tx = await registry.commitRecord(commitInput(record, chunks), plan.tail.map(slice), {
    gasLimit: plan.commitGasLimit,
  });
  const receipt = (await tx.wait())!;
  receipts.push(receipt);
  chunks.push(...chunkAddressesFrom(registry, receipt));
  const stored = await registry.getRecord(record.recordId);
  return { version: stored.version, chunks, receipts, gasLimits };
}

/** Reads content back as the adapter does: eth_getCode per chunk, minus the leading STOP byte. */
export async function readContent(chunks: readonly string[]): Promise<Uint8Array> {
  const codes = await Promise.all(chunks.map((chunk) => ethers.provider.getCode(chunk)));
  return ethers.getBytes(ethers.concat(codes.map((code) => ethers.dataSlice(code, 1))));
}
