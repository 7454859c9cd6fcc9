import { KeyPair } from '../../domain/ports/cipher.port';

/**
 * The service's own key for access-log notes (who read, why). Notes are sealed to it and to the
 * patient's key once registered: the service lists the log for the patient (it served those reads,
 * so it learns nothing new), and the patient can open the notes with their own key as well.
 * Kept in the key vault under {@link ACCESS_NOTE_KEY_REF}.
 */
export class AccessNoteKey {
  constructor(readonly keys: KeyPair) {}
}

export const ACCESS_NOTE_KEY_REF = 'service:access-notes';
