// @ts-check
/**
 * Patient-Centric EMR web page: mounts the cards and starts the session. No framework, no build
 * step. Never uses inline styles or inline scripts, and shows records through blob: URLs, so the
 * page runs under a strict CSP: default-src 'self'; img-src 'self' blob:; object-src blob:; frame-src blob:.
 */

import { mountAccessLogCard, loadAccessLog } from './cards/access-log.js';
import { loadConsents, mountConsentsCard } from './cards/consents.js';
import { mountEnrolCard } from './cards/enrol.js';
import { checkKeys, mountKeysCard } from './cards/keys.js';
import { mountProviderCard } from './cards/provider.js';
import * as retrieve from './cards/retrieve.js';
import * as upload from './cards/upload.js';
import { identity } from './identity.js';
import { mountSession } from './session.js';

upload.mountUploadCard(retrieve);
retrieve.mountRetrieveCard();
mountProviderCard();
mountEnrolCard(upload);
mountConsentsCard();
mountAccessLogCard();
// With the keys here, the access log can name the patient's records (their headers open in the page).
mountKeysCard({ ready: () => loadAccessLog() });

// Dropping a file anywhere but the drop zone must not navigate away from the page.
window.addEventListener('dragover', (event) => event.preventDefault());
window.addEventListener('drop', (event) => event.preventDefault());

mountSession({
  roleChanged(role) {
    // A patient works on their own record only: the patient ID is filled in and locked.
    const ownRecord = role === 'patient' ? (identity.me?.id ?? null) : null;
    upload.setOwnPatient(ownRecord);
    retrieve.setOwnPatient(ownRecord);
    if (role !== 'patient') checkKeys(null);
  },
  signedIn(me) {
    if (me.role !== 'patient') return;
    loadConsents();
    // The patient's records open with keys held in this browser: set up, restored, or found. The
    // access log names records from their headers, so it loads once the keys were looked for.
    checkKeys(me).finally(() => loadAccessLog());
  },
});
