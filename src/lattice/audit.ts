/**
 * The vertex audit a physicist signs off: every candidate the chosen layout considered (each
 * lattice centre whose sphere touches the target), kept or removed, with the reason in words, the
 * fraction of the sphere inside the target, and the nearest organ at risk with its distance from
 * the centre and from the sphere surface; the parameters (stating how clearance was measured), the
 * organ selection, the search, and a summary (counts, each sphere's volume next to the ideal
 * 1.767 cc, peak volume and its fraction of the target, smallest centre-to-centre distance,
 * nearest organ; physics reference §0 and §4). Plain data, ready for JSON.
 */

import { voxelVolumeMm3 } from '../geometry/grid.js';
import type { MaskStructure } from '../geometry/structure.js';
import { countVoxels } from '../geometry/volume.js';
import { mm3ToCc } from '../core/units.js';
import type { OarSelection } from './oars.js';
import type { Candidate, CandidateStatus, PlacementResult } from './placement.js';
import { idealSphereVolumeCc, minCentreDistanceMm, sphereUnionMask, sphereVolumes } from './spheres.js';
import { sphereUnionContours, type TargetSections } from './sphere-contours.js';
import { contourVolumeCc } from '../geometry/structure-set.js';
import type { Vec3 } from '../core/vec3.js';

import { DISCLAIMER } from '../core/disclaimer.js';

export { DISCLAIMER };

export interface AuditCandidate {
  /** C001, C002, ... in order of z, then y, then x. */
  readonly id: string;
  /** V01, V02, ... for kept vertices, null for removed ones. */
  readonly vertex: string | null;
  readonly centreLps: readonly [number, number, number];
  readonly kept: boolean;
  readonly status: CandidateStatus;
  readonly reason: string;
  readonly fractionInside: number;
  /** Centre depth inside the target surface, mm (negative outside). */
  readonly depthMm: number;
  readonly nearestOar: string | null;
  /** Centre to the nearest organ surface, mm (0 when the centre lies inside an organ; null beyond organsAtRisk.distancesExactToMm). */
  readonly oarDistanceFromCentreMm: number | null;
  /** The same minus the radius: sphere surface to organ surface, mm (negative: the sphere reaches into the organ). */
  readonly oarDistanceFromSurfaceMm: number | null;
}

export interface SphereReport {
  readonly vertex: string;
  readonly status: 'intact' | 'partial';
  readonly idealCc: number;
  /** Voxels whose centre lies in the sphere, cc. */
  readonly voxelCc: number;
  /** Of those, inside the target, cc. */
  readonly inTargetCc: number;
  /** Fraction of the sphere inside the target (sub-voxel). */
  readonly fractionInside: number;
  /** The sphere as written: its exact circles on the CT planes (clipped to the target), slab volume, cc. */
  readonly contourCc: number;
}

export interface PlacementSummary {
  readonly kept: number;
  readonly intact: number;
  readonly partial: number;
  readonly idealSphereCc: number;
  readonly spheres: readonly SphereReport[];
  /** Union of the spheres inside the target, cc (the boost structure): voxels whose centre is in. */
  readonly peakVolumeCc: number;
  /** The same union as written (exact circles on the CT planes, clipped to the target), slab volume, cc. */
  readonly peakContourCc: number;
  readonly targetVolumeCc: number;
  readonly peakFractionOfTarget: number;
  readonly minCentreDistanceMm: number | null;
  readonly nearestOar: { readonly name: string; readonly fromCentreMm: number; readonly fromSurfaceMm: number } | null;
  readonly baseline: { readonly intact: number; readonly partial: number };
}

export interface VertexAudit {
  readonly software: string;
  readonly disclaimer: string;
  readonly target: { readonly name: string; readonly volumeCc: number; readonly centroidLps: readonly number[] };
  readonly parameters: {
    readonly pattern: string;
    readonly diameterMm: number;
    readonly spacingMm: number;
    readonly planeSpacingMm: number;
    readonly patternPlaneSpacingMm: number;
    readonly nearestNeighbourMm: number;
    readonly insetMm: number;
    readonly oarClearanceMm: number;
    readonly clearanceFrom: 'surface' | 'centre';
    readonly clearanceMeasured: string;
    readonly partialMin: number;
    readonly allowPartial: boolean;
    readonly snapToSlices: boolean;
    readonly rotationsDeg: readonly number[];
    readonly offsetStepMm: number;
  };
  readonly organsAtRisk: {
    readonly used: readonly string[];
    readonly excluded: OarSelection['excluded'];
    readonly overlapping: OarSelection['overlapping'];
    readonly distancesExactToMm: number;
  };
  readonly search: {
    readonly layoutsSearched: number;
    readonly angleDeg: number;
    /** Translation of the chosen layout from the baseline (pattern anchored at the centroid), LPS mm. */
    readonly offsetLpsMm: readonly number[];
    readonly seconds: number;
  };
  readonly summary: PlacementSummary;
  readonly candidates: readonly AuditCandidate[];
  /** Kept vertex centres (LPS, mm), V01 first. */
  readonly vertices: readonly { readonly vertex: string; readonly centreLps: readonly number[]; readonly status: 'intact' | 'partial' }[];
}

const r2 = (v: number): number => Math.round(v * 100) / 100;
const r3 = (v: number): number => Math.round(v * 1000) / 1000;
const pct = (f: number): string => `${(100 * f).toFixed(1)} %`;

function reasonOf(c: Candidate, result: PlacementResult): string {
  const p = result.context.params;
  const t = result.context.targetName;
  const r = p.radiusMm;
  const inset = p.insetMm > 0 ? ` minus the ${p.insetMm} mm inset` : '';
  const organ = c.nearestOars.length > 0 ? c.nearestOars.join('/') : 'an organ at risk';
  switch (c.status) {
    case 'intact':
      return `whole sphere inside ${t}${inset}: centre ${c.depthMm.toFixed(1)} mm deep (at least ${(r + p.insetMm).toFixed(1)} mm needed)`;
    case 'partial':
      return `partial: ${pct(c.fractionInside)} of the sphere inside ${t}${inset} (at least ${pct(p.partialMin)} needed)`;
    case 'below-partial-threshold':
      return p.allowPartial
        ? `outside ${t}: only ${pct(c.fractionInside)} of the sphere inside${inset} (below the partial threshold ${pct(p.partialMin)})`
        : `not wholly inside ${t}${inset} (${pct(c.fractionInside)} inside) and partial vertices are not allowed`;
    case 'oar-clearance': {
      const d = c.oarDistanceFromCentreMm ?? 0;
      const shown = p.clearanceFrom === 'surface' ? d - r : d;
      const how = `${p.clearanceFrom === 'surface' ? 'sphere surface' : 'sphere centre'} to organ surface; clearance ${p.oarClearanceMm} mm`;
      if (d <= 0) return `centre lies inside ${organ} (${how})`;
      return shown >= 0
        ? `within ${shown.toFixed(1)} mm of ${organ} (${how})`
        : `${p.clearanceFrom === 'surface' ? 'sphere reaches' : 'centre lies'} ${(-shown).toFixed(1)} mm into ${organ} (${how})`;
    }
  }
}

/** The audit of a placement. `target` is the target structure the placement ran on. */
/**
 * The audit of a placement. `sections`: the target's exact sections (sphere-contours.ts), to which
 * the written spheres are clipped; without, the spheres are reported unclipped as written then.
 */
export function buildAudit(result: PlacementResult, selection: OarSelection, target: MaskStructure, sections?: TargetSections): VertexAudit {
  const ctx = result.context;
  const p = ctx.params;
  const best = result.best;
  let vn = 0;
  const candidates: AuditCandidate[] = best.candidates.map((c, n) => {
    const kept = c.status === 'intact' || c.status === 'partial';
    // A centre inside an organ is reported at distance 0 (the depth inside organs is not measured).
    const d = c.oarDistanceFromCentreMm === undefined ? undefined : Math.max(0, c.oarDistanceFromCentreMm);
    return {
      id: `C${String(n + 1).padStart(3, '0')}`,
      vertex: kept ? `V${String(++vn).padStart(2, '0')}` : null,
      centreLps: [r2(c.centreLps[0]), r2(c.centreLps[1]), r2(c.centreLps[2])],
      kept,
      status: c.status,
      reason: reasonOf(c, result),
      fractionInside: r3(c.fractionInside),
      depthMm: r2(c.depthMm),
      nearestOar: c.nearestOars.length > 0 ? c.nearestOars.join('/') : null,
      oarDistanceFromCentreMm: d === undefined ? null : r2(d),
      oarDistanceFromSurfaceMm: d === undefined ? null : r2(d - p.radiusMm),
    };
  });
  const keptCandidates = best.candidates.filter((c) => c.status === 'intact' || c.status === 'partial');
  const centres = keptCandidates.map((c) => c.centreLps);
  const grid = target.mask.grid;
  const vols = sphereVolumes(grid, centres, p.radiusMm, target.mask);
  const ideal = idealSphereVolumeCc(p.diameterMm);
  // As written: the slab volume of the exact contours (the figure a planning system reads back).
  const writtenCc = (cs: readonly Vec3[]): number =>
    cs.length === 0 ? 0 : (contourVolumeCc({ roiNumber: 0, name: 'spheres', interpretedType: 'PTV', contours: sphereUnionContours(grid, cs, p.radiusMm, sections) }) ?? 0);
  const keptAudit = candidates.filter((c) => c.kept);
  const spheres: SphereReport[] = keptAudit.map((c, n) => ({
    vertex: c.vertex!,
    status: c.status as 'intact' | 'partial',
    idealCc: r3(ideal),
    voxelCc: r3(vols[n]!.voxelCc),
    inTargetCc: r3(vols[n]!.voxelInClipCc),
    fractionInside: c.fractionInside,
    contourCc: r3(writtenCc([centres[n]!])),
  }));
  const union = sphereUnionMask(grid, centres, p.radiusMm, target.mask);
  const vv = voxelVolumeMm3(grid);
  const peakVolumeCc = mm3ToCc(countVoxels(union) * vv);
  const targetVolumeCc = mm3ToCc(countVoxels(target.mask) * vv);
  let nearest: PlacementSummary['nearestOar'] = null;
  for (const c of keptCandidates) {
    const d = c.oarDistanceFromCentreMm === undefined ? undefined : Math.max(0, c.oarDistanceFromCentreMm);
    if (d !== undefined && (nearest === null || d < nearest.fromCentreMm)) {
      nearest = { name: c.nearestOars.join('/') || 'organ at risk', fromCentreMm: r2(d), fromSurfaceMm: r2(d - p.radiusMm) };
    }
  }
  const minD = minCentreDistanceMm(centres);
  const [n1, n2, n3] = ctx.steps;
  const [i, j, k] = best.key.offset;
  const b = p.cell.basisMm;
  const off = [0, 1, 2].map((a) => (i / n1) * b[0][a]! + (j / n2) * b[1][a]! + (k / n3) * b[2][a]!);
  const ang = (best.key.angleDeg * Math.PI) / 180;
  const offsetLps = [Math.cos(ang) * off[0]! - Math.sin(ang) * off[1]!, Math.sin(ang) * off[0]! + Math.cos(ang) * off[1]!, off[2]!];
  return {
    software: 'lattice-rt',
    disclaimer: DISCLAIMER,
    target: { name: target.name, volumeCc: r2(targetVolumeCc), centroidLps: ctx.centroidLps.map(r2) },
    parameters: {
      pattern: p.pattern,
      diameterMm: p.diameterMm,
      spacingMm: p.spacingMm,
      planeSpacingMm: p.planeSpacingMm,
      patternPlaneSpacingMm: r2(p.patternPlaneSpacingMm),
      nearestNeighbourMm: r2(p.nearestNeighbourMm),
      insetMm: p.insetMm,
      oarClearanceMm: p.oarClearanceMm,
      clearanceFrom: p.clearanceFrom,
      clearanceMeasured:
        p.clearanceFrom === 'surface'
          ? `from the sphere surface to the organ surface (centre distance minus ${p.radiusMm} mm) >= ${p.oarClearanceMm} mm`
          : `from the sphere centre to the organ surface >= ${p.oarClearanceMm} mm`,
      partialMin: p.partialMin,
      allowPartial: p.allowPartial,
      snapToSlices: p.snapToSlices,
      rotationsDeg: p.rotationsDeg,
      offsetStepMm: p.offsetStepMm,
    },
    organsAtRisk: {
      used: ctx.oars.map((o) => o.name),
      excluded: selection.excluded,
      overlapping: selection.overlapping.map((o) => ({ ...o, overlapCc: r3(o.overlapCc), fractionOfTarget: r3(o.fractionOfTarget) })),
      distancesExactToMm: ctx.fields.oarReachMm,
    },
    search: { layoutsSearched: result.layoutsSearched, angleDeg: best.key.angleDeg, offsetLpsMm: offsetLps.map(r2), seconds: r3(result.seconds) },
    summary: {
      kept: keptCandidates.length,
      intact: best.score.intact,
      partial: best.score.partial,
      idealSphereCc: r3(ideal),
      spheres,
      peakVolumeCc: r3(peakVolumeCc),
      peakContourCc: r3(writtenCc(centres)),
      targetVolumeCc: r2(targetVolumeCc),
      peakFractionOfTarget: targetVolumeCc > 0 ? r3(peakVolumeCc / targetVolumeCc) : 0,
      minCentreDistanceMm: Number.isFinite(minD) ? r2(minD) : null,
      nearestOar: nearest,
      baseline: { intact: result.baseline.score.intact, partial: result.baseline.score.partial },
    },
    candidates,
    vertices: keptAudit.map((c) => ({ vertex: c.vertex!, centreLps: c.centreLps, status: c.status as 'intact' | 'partial' })),
  };
}

/** The printed summary, one line per entry. */
export function summaryLines(audit: VertexAudit): string[] {
  const s = audit.summary;
  const p = audit.parameters;
  const lines: string[] = [];
  if (s.kept === 0) {
    lines.push(
      `no vertex fits: target "${audit.target.name}" (${s.targetVolumeCc} cc) holds no ${p.diameterMm} mm sphere ` +
        `${p.insetMm > 0 ? `${p.insetMm} mm inside its surface ` : ''}with ${p.oarClearanceMm} mm clearance ${p.clearanceFrom === 'surface' ? 'from the sphere surface' : 'from the centre'} ` +
        `(${audit.candidates.length} candidates considered; see vertices.json for each reason)`,
    );
    return lines;
  }
  lines.push(
    `vertices kept: ${s.kept} (${s.intact} intact, ${s.partial} partial) of ${audit.candidates.length} considered; ` +
      `baseline (grid at the centroid): ${s.baseline.intact + s.baseline.partial} (${s.baseline.intact} intact, ${s.baseline.partial} partial)`,
  );
  lines.push(
    `pattern ${p.pattern}, ${p.diameterMm} mm spheres, spacing ${p.spacingMm} mm, planes ${p.patternPlaneSpacingMm} mm apart, rotation ${audit.search.angleDeg} deg; ` +
      `clearance ${p.clearanceMeasured}`,
  );
  for (const sp of s.spheres) {
    lines.push(
      `  ${sp.vertex} ${sp.status.padEnd(7)} ${sp.contourCc.toFixed(3)} cc as written (ideal ${sp.idealCc.toFixed(3)} cc; voxel centres ${sp.voxelCc.toFixed(3)} cc, ${sp.inTargetCc.toFixed(3)} cc in target), ${(100 * sp.fractionInside).toFixed(1)} % inside`,
    );
  }
  lines.push(
    `total peak volume ${s.peakContourCc.toFixed(2)} cc as written (voxel centres ${s.peakVolumeCc.toFixed(2)} cc = ${(100 * s.peakFractionOfTarget).toFixed(2)} % of ${audit.target.name}, ${s.targetVolumeCc} cc)`,
  );
  lines.push(`minimum centre-to-centre distance ${s.minCentreDistanceMm === null ? '-' : `${s.minCentreDistanceMm.toFixed(1)} mm`}`);
  lines.push(
    s.nearestOar === null
      ? `nearest organ at risk: none within ${audit.organsAtRisk.distancesExactToMm} mm`
      : `nearest organ at risk: ${s.nearestOar.name}, ${s.nearestOar.fromSurfaceMm.toFixed(1)} mm from a sphere surface (${s.nearestOar.fromCentreMm.toFixed(1)} mm from its centre)`,
  );
  for (const e of audit.organsAtRisk.excluded) lines.push(`not used for clearance: ${e.name}: ${e.reason}`);
  for (const o of audit.organsAtRisk.overlapping) {
    if (o.usedForClearance) lines.push(`warning: organ at risk ${o.name} overlaps ${audit.target.name} by ${o.overlapCc.toFixed(2)} cc (${(100 * o.fractionOfTarget).toFixed(1)} % of it)`);
  }
  return lines;
}
