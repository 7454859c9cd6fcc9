/** Limits on uploads, from configuration. */
export class UploadPolicy {
  constructor(readonly maxFileBytes: number) {}
}
