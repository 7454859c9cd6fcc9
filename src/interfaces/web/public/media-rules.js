// @ts-check
/**
 * The service's own media rules (src/domain/media-type.ts, file-name.ts), compiled for the page
 * and served at /rules (spec §9), so the page refuses before encrypting exactly what the service
 * would refuse. Loaded on first use: a missing /rules breaks the patient's upload, never the page.
 */

/**
 * @typedef {{ mime: string, extension: string }} MediaType
 * @typedef {{ sniffMediaType(bytes: Uint8Array): MediaType | null, refusalReason(bytes: Uint8Array): string,
 *   claimAgrees(claimed: string | undefined, sniffed: MediaType): boolean,
 *   cleanFileName(raw: string | undefined, extension: string): string }} MediaRules
 */

/** @type {Promise<MediaRules> | null} */
let loading = null;

/** @returns {Promise<MediaRules>} */
export function mediaRules() {
  loading ??= Promise.all([import('/rules/media-type.js'), import('/rules/file-name.js')]).then(
    ([types, names]) => ({
      sniffMediaType: types.sniffMediaType,
      refusalReason: types.refusalReason,
      claimAgrees: types.claimAgrees,
      cleanFileName: names.cleanFileName,
    }),
    (error) => {
      loading = null; // the next upload tries again
      throw error;
    },
  );
  return loading;
}
