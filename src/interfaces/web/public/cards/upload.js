// @ts-check
/** Upload a record (providers, and patients to their own record): form, drop zone, progress. */

import { api, ApiError, asApiError, isAbort, recordsPath, sealedRecordsPath } from '../api.js';
import { buildSealedUpload } from '../crypto/sealed-record.js';
import { $, $input, checkedValue, clearWhenValid, fieldErrors, setBusy } from '../dom.js';
import { formatBytes, ledgerLabel, randomKey } from '../format.js';
import { identity } from '../identity.js';
import { mediaRules } from '../media-rules.js';
import { describeError } from '../problem-text.js';
import { ID_HINT, validatePatientId } from '../validation.js';
import { bytesBlob, fromHex0x, sameBytes, toBase64, toHex0x } from '../wire.js';
import { ownKeys } from './keys.js';
import { recheckReplicas, showUploadResult } from './upload-result.js';

const PROGRESS_ANNOUNCE_STEP_PERCENT = 25;

const state = {
  /** @type {File | null} */
  file: null,
  /** One key per file and destination, so a retried upload is not stored twice. @type {string | null} */
  idempotencyKey: null,
  /** @type {{ patientId: string, chain: string, meta: import('./record-meta.js').RecordMeta } | null} */
  lastResult: null,
  busy: false,
  lastAnnounced: -1,
};

const errors = fieldErrors(
  {
    patient: { control: '#upload-patient', error: 'upload-patient-error' },
    chain: { control: 'input[name="upload-chain"]', error: 'upload-chain-error' },
    file: { control: '#upload-file', error: 'upload-file-error' },
  },
  'upload-error',
);

/** @param {{ view(patientId: string, chain: string): void }} retrieve the retrieve card */
export function mountUploadCard(retrieve) {
  wireDropzone();
  $('upload-form').addEventListener('submit', onSubmit);
  $('upload-view').addEventListener('click', () => {
    const result = state.lastResult;
    if (result) retrieve.view(result.patientId, String(result.meta.chain ?? result.chain).toLowerCase());
  });
  $('upload-recheck').addEventListener('click', recheckReplicas);
  clearWhenValid('upload-patient', validatePatientId);
  document.querySelectorAll('input[name="upload-chain"], #upload-patient').forEach((input) =>
    input.addEventListener('change', () => {
      state.idempotencyKey = null;
    }),
  );
}

/** A patient uploads to their own record only: the patient ID is filled in and locked. @param {string | null} patientId */
export function setOwnPatient(patientId) {
  const input = $input('upload-patient');
  const wasLocked = input.readOnly;
  input.readOnly = Boolean(patientId);
  if (patientId) input.value = patientId;
  else if (wasLocked) input.value = '';
  $('upload-patient-hint').textContent = patientId ? 'Your own patient ID.' : ID_HINT;
  $('upload-title').textContent = patientId ? 'Upload to my record' : 'Upload a record';
  $('upload-intro').textContent = patientId
    ? 'Add a scan, photo or letter to your own record. It is locked in this browser before it is sent: only you, and providers you give consent to, can read it.'
    : 'The file is encrypted on the server before it is written to the ledger you choose.';
}

/** "Upload a record for this patient", from the enrol card. @param {string} patientId */
export function uploadFor(patientId) {
  $input('upload-patient').value = patientId;
  state.idempotencyKey = null;
  $('upload-card').scrollIntoView({ block: 'start', behavior: 'smooth' });
  $('upload-file').focus({ preventScroll: true });
}

/** @param {File | null | undefined} file */
function setFile(file) {
  state.file = file ?? null;
  state.idempotencyKey = null;
  $('upload-file-chosen').textContent = file ? `Selected: ${file.name} (${formatBytes(file.size)})` : '';
  $('upload-dropzone').classList.toggle('dropzone--chosen', Boolean(file));
}

function wireDropzone() {
  const zone = $('upload-dropzone');
  const input = $input('upload-file');
  input.addEventListener('change', () => {
    errors.clear();
    setFile(input.files?.[0]);
  });
  /** @param {DragEvent} event */
  const hasFiles = (event) => Array.from(event.dataTransfer?.types ?? []).includes('Files');
  zone.addEventListener('dragenter', (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    zone.classList.add('dropzone--over');
  });
  zone.addEventListener('dragover', (event) => {
    if (!hasFiles(event) || !event.dataTransfer) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
    zone.classList.add('dropzone--over');
  });
  zone.addEventListener('dragleave', (event) => {
    if (!(event.relatedTarget instanceof Node && zone.contains(event.relatedTarget))) {
      zone.classList.remove('dropzone--over');
    }
  });
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('dropzone--over');
    const file = event.dataTransfer?.files?.[0];
    if (!file) return;
    try {
      // Keep the native input in step so keyboard and screen-reader users see the same file.
      const transfer = new DataTransfer();
      transfer.items.add(file);
      input.files = transfer.files;
    } catch {
      /* older browsers: the page still uploads state.file */
    }
    errors.clear();
    setFile(file);
  });
}

/** @param {number} loaded @param {number} total */
function showProgress(loaded, total) {
  const percent = total > 0 ? Math.min(100, Math.floor((loaded / total) * 100)) : 0;
  /** @type {HTMLProgressElement} */ ($('upload-progress')).value = percent;
  $('upload-progress-text').textContent = `${percent}% · ${formatBytes(loaded)} of ${formatBytes(total)}`;
  const step = Math.floor(percent / PROGRESS_ANNOUNCE_STEP_PERCENT) * PROGRESS_ANNOUNCE_STEP_PERCENT;
  if (step > 0 && step < 100 && step !== state.lastAnnounced) {
    state.lastAnnounced = step;
    $('upload-status').textContent = `Uploading ${state.file?.name ?? 'file'}: ${step}% sent.`;
  }
}

/** @param {number} percent */
function setProgress(percent) {
  /** @type {HTMLProgressElement} */ ($('upload-progress')).value = percent;
}

/** @param {boolean} busy */
function setUploadBusy(busy) {
  state.busy = busy;
  setBusy('upload-submit', busy, 'Uploading…', 'Upload');
}

/** @param {SubmitEvent} event */
async function onSubmit(event) {
  event.preventDefault();
  if (state.busy) return;
  errors.clear();
  const patientId = $input('upload-patient').value.trim();
  const chain = checkedValue('upload-chain');
  const file = state.file;

  /** @type {[string, string][]} */
  const problems = [];
  const patientProblem = validatePatientId(patientId);
  if (patientProblem) problems.push(['patient', patientProblem]);
  if (!chain) problems.push(['chain', 'Choose SUPchain, MEDchain or both ledgers.']);
  if (!file) problems.push(['file', 'Choose a file to upload.']);
  else if (file.size === 0) problems.push(['file', 'This file is empty. Choose another file.']);
  if (problems.length > 0 || !file) {
    problems.forEach(([field, text], index) => errors.show(field, text, { focus: index === 0 }));
    $('upload-status').textContent = 'Not uploaded: please correct the highlighted field.';
    return;
  }

  if (identity.role === 'patient') {
    await uploadOwn({ patientId, chain, file });
    return;
  }

  state.idempotencyKey ??= randomKey();
  const body = new FormData();
  body.append('chain', chain);
  body.append('file', file, file.name);

  setUploadBusy(true);
  state.lastAnnounced = -1;
  $('upload-result').hidden = true;
  $('upload-progress-block').hidden = false;
  setProgress(0);
  $('upload-progress-text').textContent = '';
  $('upload-status').textContent = `Uploading ${file.name} (${formatBytes(file.size)}) to ${ledgerLabel(chain)}…`;

  try {
    const { status, data } = await api(recordsPath(patientId), {
      method: 'POST',
      body,
      headers: { 'Idempotency-Key': state.idempotencyKey },
      onUploadProgress: showProgress,
      onUploaded: () => {
        setProgress(100);
        $('upload-status').textContent = `File sent. Encrypting and writing to ${ledgerLabel(chain)}…`;
      },
    });
    state.idempotencyKey = null;
    setProgress(100);
    state.lastResult = { patientId, chain, meta: data ?? {} };
    showUploadResult(data ?? {}, chain, status);
  } catch (error) {
    if (isAbort(error)) return;
    $('upload-progress-block').hidden = true;
    const { field, text } = describeError(asApiError(error), { action: 'upload', chain, file, patientId });
    // No answer: the same key lets a retry find the upload if it did arrive.
    if (!(error instanceof ApiError && error.code === 'NETWORK_ERROR')) state.idempotencyKey = null;
    errors.show(field, text);
    $('upload-status').textContent = 'Not uploaded.';
  } finally {
    setUploadBusy(false);
  }
}

/**
 * A patient's upload to their own record (spec §7, §9): the page checks the file with the
 * service's own rules, locks it here for the patient and every provider with consent on the
 * target ledgers, signs it with the patient's key and sends only ciphertext. The result card
 * shows the name, type and size this page knows; the service never saw them.
 * @param {{ patientId: string, chain: string, file: File }} upload
 */
async function uploadOwn({ patientId, chain, file }) {
  const keys = ownKeys();
  if (!keys) return; // the card is hidden until the keys are in this browser
  setUploadBusy(true);
  state.lastAnnounced = -1;
  $('upload-result').hidden = true;
  $('upload-status').textContent = `Checking ${file.name}…`;
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const rules = await mediaRules();
    const sniffed = rules.sniffMediaType(bytes);
    const claimed = file.type || 'application/octet-stream';
    if (!sniffed || !rules.claimAgrees(claimed, sniffed)) {
      // Refused here, before anything is encrypted, as the service would refuse it (415).
      const detail = sniffed ? '' : rules.refusalReason(bytes);
      throw new ApiError({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', detail });
    }
    const fileName = rules.cleanFileName(file.name, sniffed.extension);
    $('upload-status').textContent = `Locking ${file.name} (${formatBytes(file.size)}) in this browser…`;
    const { data: scope } = await api(`/patients/${encodeURIComponent(patientId)}/recipients`, { query: { chain } });
    /** @type {{ publicKey: string }[]} */
    const recipients = Array.isArray(scope?.recipients) ? scope.recipients : [];
    const publicKeys = recipients.map((recipient) => fromHex0x(recipient.publicKey));
    // Locked for the patient's own key first, or not at all: the service must not swap it.
    if (scope?.recipients?.[0]?.role !== 'patient' || !sameBytes(publicKeys[0], keys.encryption.publicKey)) {
      throw new ApiError({ status: 0, code: 'PAGE_FAILED' });
    }
    const chains = chain === 'both' ? ['supchain', 'medchain'] : [chain];
    const sealed = await buildSealedUpload({
      bytes,
      fileName,
      contentType: sniffed.mime,
      patientId,
      patientKey: fromHex0x(String(scope.patientKey)),
      chains,
      recipients: publicKeys,
      signingKey: keys.signing.privateKey,
      uploader: patientId,
    });
    const body = new FormData();
    body.append('chain', chain);
    body.append('recordId', hexField(sealed.recordId));
    body.append('sealedHeader', toBase64(sealed.sealedHeader));
    body.append('keyEnvelope', toBase64(sealed.keyEnvelope));
    // Exactly the list the service gave, patient first: it checks it against consent again.
    body.append('recipients', JSON.stringify(recipients.map((recipient) => recipient.publicKey)));
    body.append(
      'signatures',
      JSON.stringify(
        Object.fromEntries(
          Object.entries(sealed.signatures).map(([target, signature]) => [target, hexField(signature)]),
        ),
      ),
    );
    body.append('content', bytesBlob(sealed.content, 'application/octet-stream'), 'content');

    $('upload-progress-block').hidden = false;
    setProgress(0);
    $('upload-progress-text').textContent = '';
    $('upload-status').textContent = `Uploading ${file.name} (${formatBytes(file.size)}) to ${ledgerLabel(chain)}…`;
    const { status, data } = await api(sealedRecordsPath(patientId), {
      method: 'POST',
      body,
      onUploadProgress: showProgress,
      onUploaded: () => {
        setProgress(100);
        $('upload-status').textContent = `File sent. Writing to ${ledgerLabel(chain)}…`;
      },
    });
    setProgress(100);
    const meta = { ...(data ?? {}), fileName, contentType: sniffed.mime, size: bytes.length, uploader: patientId };
    state.lastResult = { patientId, chain, meta };
    showUploadResult(meta, chain, status);
  } catch (error) {
    if (isAbort(error)) return;
    $('upload-progress-block').hidden = true;
    // PAGE_FAILED: the rules or the crypto failed in this page, or the recipients were not
    // the patient's own key first; nothing was sent.
    const problem = error instanceof ApiError ? error : new ApiError({ status: 0, code: 'PAGE_FAILED' });
    const { field, text } =
      problem.code === 'PAGE_FAILED'
        ? {
            field: null,
            text: 'This browser could not lock the file, so nothing was sent. Reload the page and try again.',
          }
        : describeError(problem, { action: 'upload', chain, file, patientId });
    errors.show(field, text);
    $('upload-status').textContent = 'Not uploaded.';
  } finally {
    setUploadBusy(false);
  }
}

/** `0x…` hex for a field the client module may give as bytes or as hex. @param {Uint8Array | string} value */
function hexField(value) {
  return typeof value === 'string' ? (value.startsWith('0x') ? value : `0x${value}`) : toHex0x(value);
}
