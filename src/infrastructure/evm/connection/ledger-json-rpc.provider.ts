import { FetchRequest, JsonRpcPayload, JsonRpcProvider, JsonRpcResult, makeError, Network } from 'ethers';

/**
 * ethers' JsonRpcProvider with the request and response bodies converted by Node's native UTF-8
 * codec. ethers converts them in JavaScript, one character at a time: ~0.4 ms to send a 10 KiB
 * signed transaction (22,000 hex characters) and ~1.6 ms to read back as much, on the event loop
 * of every call. Everything else (batching, errors, timeouts) is ethers' own.
 */
export class LedgerJsonRpcProvider extends JsonRpcProvider {
  /**
   * staticNetwork: ethers must not probe (and retry forever on) an unreachable RPC; the adapters
   * check the chain id themselves. batchStallTime 0: requests made in the same tick still share one
   * HTTP request, but none waits the default 10 ms for company. cacheTimeout -1: ethers would
   * otherwise answer a repeated query (nonce, receipt, height) from a 250 ms cache.
   */
  static connect(rpcUrl: string, chainId: number, timeoutMs: number): LedgerJsonRpcProvider {
    const request = new FetchRequest(rpcUrl);
    request.timeout = timeoutMs;
    const network = Network.from(chainId);
    return new LedgerJsonRpcProvider(request, network, { staticNetwork: network, batchStallTime: 0, cacheTimeout: -1 });
  }

  /** ethers' own _send, but for the two conversions. Error answers are in the array too, as in ethers. */
  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    const request = this._getConnection();
    request.body = Buffer.from(JSON.stringify(payload), 'utf8');
    request.setHeader('content-type', 'application/json');
    const response = await request.send();
    response.assertOk();
    const body = response.body ?? new Uint8Array(0);
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.length).toString('utf8'));
    } catch {
      // The error ethers' own FetchResponse.bodyJson raises.
      throw makeError('response body is not valid JSON', 'UNSUPPORTED_OPERATION', { operation: 'bodyJson' });
    }
    return (Array.isArray(parsed) ? parsed : [parsed]) as JsonRpcResult[];
  }
}
