import { gunzipSync } from 'node:zlib';

/** One JSON-RPC call to an anvil chain; throws the node's error message. */
export async function rpc<T>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = (await response.json()) as { result?: T; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result as T;
}

/**
 * Everything an anvil chain holds, as lower-case hex: the full state (every account's code,
 * i.e. chunk and manifest contracts, and every storage slot) from anvil_dumpState, every
 * transaction's calldata and every event log. A secret written anywhere shows up in it as hex.
 */
export async function dumpChain(url: string): Promise<string> {
  const parts: string[] = [];
  const dump = await rpc<string>(url, 'anvil_dumpState');
  const raw = Buffer.from(dump.replace(/^0x/, ''), 'hex');
  const json = raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
  parts.push(json.toLowerCase());
  const head = Number(BigInt(await rpc<string>(url, 'eth_blockNumber')));
  for (let number = 0; number <= head; number++) {
    const block = await rpc<{ transactions: { input: string }[] }>(url, 'eth_getBlockByNumber', [
      `0x${number.toString(16)}`,
      true,
    ]);
    for (const tx of block.transactions) parts.push(tx.input.toLowerCase());
  }
  const logs = await rpc<{ data: string; topics: string[] }[]>(url, 'eth_getLogs', [
    { fromBlock: '0x0', toBlock: 'latest' },
  ]);
  for (const log of logs) parts.push(log.data.toLowerCase(), ...log.topics.map((t) => t.toLowerCase()));
  return parts.join('\n');
}

/** How a text would appear in a chain dump: its UTF-8 bytes as lower-case hex. */
export function asHex(text: string): string {
  return Buffer.from(text, 'utf8').toString('hex');
}
