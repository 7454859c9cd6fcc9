import { bytesToHex } from '../../domain/bytes';
import { ChainName, parseWriteTarget } from '../../domain/chain-name';
import { PatientId } from '../../domain/patient-id';
import { Principal } from '../../domain/principal';
import { PatientAccess } from '../access/patient-access';
import { SealingRecipients } from './sealing-recipients';

export interface SealingRecipientsView {
  readonly patientId: string;
  readonly patientKey: string;
  readonly chains: ChainName[];
  readonly recipients: { role: 'patient' | 'provider' | 'epoch'; id: string; publicKey: string }[];
}

/** What the patient's browser needs to seal an upload: the record aad's pseudonym and whom to seal to. */
export class GetSealingRecipientsUseCase {
  constructor(
    private readonly access: PatientAccess,
    private readonly recipients: SealingRecipients,
  ) {}

  async execute(input: { actor: Principal; patientId: string; chain: string }): Promise<SealingRecipientsView> {
    const patientId = PatientId.parse(input.patientId);
    const chains = parseWriteTarget(input.chain);
    const { patient, patientKey } = await this.access.sealedScope(input.actor, patientId);
    const recipients = await this.recipients.of(patient, patientKey, chains);
    return {
      patientId: patientId.value,
      patientKey: `0x${bytesToHex(patientKey)}`,
      chains,
      recipients: recipients.map(({ role, id, publicKey }) => ({ role, id, publicKey: `0x${bytesToHex(publicKey)}` })),
    };
  }
}
