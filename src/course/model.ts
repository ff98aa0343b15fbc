/**
 * The clinical course after (and before) a lattice plan, as read from a course file (course-file.ts):
 * the patient under a pseudonymous id, the diagnosis and staging, treatments with dates, laboratory
 * values with units (censored values kept as censored), imaging measurements per lesion (mm), events,
 * and what the analysis should compute (survival origin, response baseline, marker kinetics) and the
 * figures the source reports (to be compared with the computed ones). Every entry keeps where it was
 * written (`at`: field path and line) so that every check and warning can name it.
 */

import type { CourseDate } from './dates.js';

/** Where an entry was written: 'treatments.4', line 57, and a label: "treatment 'cadonilimab-lenvatinib'". */
export interface Located {
  readonly path: string;
  readonly line?: number;
  readonly label: string;
}

/** A laboratory value: exact, or censored at an assay limit ('>' : above `value`, '<' : below). */
export interface MeasuredValue {
  readonly value: number;
  readonly censor?: '>' | '<';
}

export interface Patient {
  /** Pseudonymous id: never a name or a hospital number. */
  readonly id: string;
  readonly sex?: string;
  readonly ageYears?: number;
}

export interface Diagnosis {
  readonly date: CourseDate;
  readonly disease: string;
  readonly site?: string;
  readonly notes: readonly string[];
  readonly source?: string;
  readonly at: Located;
}

export interface StagingEntry {
  readonly date: CourseDate;
  /** 'BCLC', 'Child-Pugh', 'ECOG', 'TNM', ... */
  readonly system: string;
  readonly value: string;
  readonly source?: string;
  readonly at: Located;
}

export type TreatmentKind = 'systemic' | 'local' | 'radiotherapy' | 'supportive' | 'other';

export interface Agent {
  readonly name: string;
  /** As prescribed, with its unit ('15 mg/kg', '8 mg/day'). */
  readonly dose?: string;
}

export interface Fractions {
  readonly planned: number;
  readonly delivered: number;
  /** Dates of the delivered fractions, in order. */
  readonly dates: readonly CourseDate[];
}

export interface Prescription {
  readonly target: string;
  readonly totalGy: number;
  readonly fractions: number;
}

export interface Treatment {
  readonly id: string;
  readonly kind: TreatmentKind;
  readonly name: string;
  readonly start: CourseDate;
  readonly end?: CourseDate;
  readonly agents: readonly Agent[];
  readonly cycles?: number;
  readonly fractions?: Fractions;
  readonly prescriptions: readonly Prescription[];
  /** A lattice plan folder (lattice plan --out) this course was delivered from. */
  readonly planFolder?: string;
  /** Ids of the treatments this one is said to follow. */
  readonly follows: readonly string[];
  readonly source?: string;
  readonly at: Located;
}

export interface LabValue {
  readonly id?: string;
  readonly date: CourseDate;
  /** Normalised name: 'AFP', 'PIVKA-II', or as written for other markers. */
  readonly marker: string;
  readonly measured: MeasuredValue;
  readonly unit: string;
  readonly source?: string;
  readonly at: Located;
}

export interface LesionMeasurement {
  readonly lesion: string;
  /** Longest diameter, mm (0: disappeared). */
  readonly longestMm: number;
  /** Longest diameter perpendicular to it, mm (WHO). */
  readonly perpendicularMm?: number;
  /** Longest diameter of the enhancing (viable) part in the arterial phase, mm (mRECIST). */
  readonly enhancingMm?: number;
  readonly at: Located;
}

export interface ImagingStudy {
  readonly id: string;
  readonly date: CourseDate;
  readonly modality: string;
  readonly lesions: readonly LesionMeasurement[];
  /** New lesions seen at this time point (progression under every criterion). */
  readonly newLesions: boolean;
  /** The source's own reading ("progression"), shown beside the computed categories. */
  readonly assessment?: string;
  readonly source?: string;
  readonly at: Located;
}

export type EventKind = 'progression' | 'death' | 'last-follow-up' | 'other';

export interface CourseEvent {
  readonly id?: string;
  readonly date: CourseDate;
  readonly kind: EventKind;
  readonly text: string;
  readonly source?: string;
  readonly at: Located;
}

/** A survival origin: the first radiotherapy fraction (default), the diagnosis, a treatment's start, or a date. */
export type OriginSpec =
  | { readonly rule: 'first-rt-fraction' }
  | { readonly rule: 'diagnosis' }
  | { readonly rule: 'treatment'; readonly treatment: string }
  | { readonly rule: 'date'; readonly date: CourseDate };

export interface SurvivalSettings {
  readonly origin: OriginSpec;
  /** Further origins to compute from (e.g. the diagnosis, to compare with a report that does not state its origin). */
  readonly alternativeOrigins: readonly OriginSpec[];
  readonly lastFollowUp?: CourseDate;
  readonly at: Located;
}

export interface KineticsRequest {
  readonly marker: string;
  readonly from: CourseDate;
  readonly to: CourseDate;
  readonly at: Located;
}

/** A figure the source reports, to be set beside the computed one. */
export type ReportedFigure =
  | { readonly kind: 'interval'; readonly from: string; readonly to: string; readonly months: number; readonly text: string; readonly source?: string; readonly at: Located }
  | { readonly kind: 'pfs' | 'os'; readonly months: number; readonly origin: 'unstated' | 'as-computed'; readonly text: string; readonly source?: string; readonly at: Located }
  | { readonly kind: 'change'; readonly from: string; readonly to: string; readonly percent: number; readonly tolerancePercent: number; readonly text: string; readonly source?: string; readonly at: Located };

/** A problem the source itself states or shows, flagged by whoever wrote the file (not repaired). */
export interface SourceFlag {
  readonly text: string;
  readonly at: Located;
}

export interface Course {
  readonly file: string;
  readonly title?: string;
  readonly source?: string;
  readonly patient: Patient;
  readonly diagnosis: Diagnosis;
  readonly staging: readonly StagingEntry[];
  readonly treatments: readonly Treatment[];
  readonly labs: readonly LabValue[];
  readonly imaging: readonly ImagingStudy[];
  readonly events: readonly CourseEvent[];
  readonly survival: SurvivalSettings;
  /** Imaging id of the response baseline (default: the last imaging at or before the survival origin). */
  readonly responseBaseline?: string;
  readonly kinetics: readonly KineticsRequest[];
  readonly reported: readonly ReportedFigure[];
  readonly flags: readonly SourceFlag[];
}
