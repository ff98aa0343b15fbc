/**
 * `lattice check-plan RTPLAN [--machine NAME|FILE] [--json]`: can the machine deliver this RT Plan?
 * Prints per beam the estimated delivery time, MU and aperture complexity, then every violation of the
 * machine's limits, one per line (src/deliver/deliverability.ts; rules in docs/delivery.md). Exits 0
 * when the plan is deliverable, 1 when violations were found or the input could not be read.
 */

import type { Command } from 'commander';
import { checkDeliverability, deliveryTime, planComplexity, type Violation } from '../../src/deliver/deliverability.js';
import { loadMachine } from '../../src/deliver/machine-file.js';
import type { LinacMachine } from '../../src/deliver/machine.js';
import type { RtPlan } from '../../src/io/dicom/model.js';
import { readRtPlan } from '../../src/io/dicom/read/index.js';
import { DISCLAIMER } from '../options.js';
import { EXIT_ERROR, EXIT_OK, runCommand } from '../run-command.js';
import { formatTable } from '../table.js';

interface CheckPlanOptions {
  readonly machine: string;
  readonly json?: boolean;
}

export const DEFAULT_MACHINE = 'agility';

interface BeamRow {
  readonly number: number;
  readonly name: string;
  readonly type: string;
  readonly controlPoints: number;
  readonly mu: number | null;
  readonly deliveryTimeS: number;
  readonly limitedByS: Readonly<Record<string, number>>;
  readonly meanApertureAreaCm2: number | null;
  readonly leafTravelMm: number;
}

/** The report of one plan on one machine (what --json prints). */
export interface CheckPlanReport {
  readonly file: string;
  readonly machine: { readonly name: string; readonly manufacturer: string; readonly model: string };
  readonly beams: readonly BeamRow[];
  readonly totalMu: number;
  readonly totalDeliveryTimeS: number;
  readonly deliverable: boolean;
  readonly violations: readonly Violation[];
}

export function checkPlanReport(plan: RtPlan, file: string, machine: LinacMachine): CheckPlanReport {
  const times = deliveryTime(plan, machine);
  const complexity = planComplexity(plan);
  const violations = checkDeliverability(plan, machine);
  const beams = plan.beams.map((b, i): BeamRow => {
    const c = complexity[i]!;
    return {
      number: b.number,
      name: b.name,
      type: b.type,
      controlPoints: b.controlPoints.length,
      mu: c.mu ?? null,
      deliveryTimeS: times[i]!.timeS,
      limitedByS: times[i]!.limitedByS,
      meanApertureAreaCm2: Number.isFinite(c.meanApertureAreaCm2) ? c.meanApertureAreaCm2 : null,
      leafTravelMm: c.leafTravelMm,
    };
  });
  return {
    file,
    machine: { name: machine.name, manufacturer: machine.manufacturer, model: machine.model },
    beams,
    totalMu: beams.reduce((s, b) => s + (b.mu ?? 0), 0),
    totalDeliveryTimeS: beams.reduce((s, b) => s + b.deliveryTimeS, 0),
    deliverable: violations.length === 0,
    violations,
  };
}

const LIMIT_NAMES: Readonly<Record<string, string>> = { gantry: 'gantry', leaf: 'leaves', jaw: 'jaws', doseRate: 'dose rate' };

/** The limit that sets most of a beam's time. */
function mainLimit(limitedByS: Readonly<Record<string, number>>): string {
  let best = '-';
  let most = 0;
  for (const [k, s] of Object.entries(limitedByS)) {
    if (s > most) {
      most = s;
      best = LIMIT_NAMES[k] ?? k;
    }
  }
  return best;
}

export function formatCheckPlanReport(r: CheckPlanReport): string {
  const table = formatTable(
    ['beam', 'name', 'type', 'control points', 'MU', 'time (s)', 'mostly limited by', 'mean aperture (cm2)', 'leaf travel (mm)'],
    r.beams.map((b) => [
      String(b.number),
      b.name,
      b.type,
      String(b.controlPoints),
      b.mu === null ? 'none' : b.mu.toFixed(1),
      b.deliveryTimeS.toFixed(1),
      mainLimit(b.limitedByS),
      b.meanApertureAreaCm2 === null ? '-' : b.meanApertureAreaCm2.toFixed(1),
      b.leafTravelMm.toFixed(0),
    ]),
    ['right', 'left', 'left', 'right', 'right', 'right', 'left', 'right', 'right'],
  );
  const lines = [
    `plan ${r.file} on machine ${r.machine.name} (${r.machine.manufacturer} ${r.machine.model})`,
    table,
    `total: ${r.totalMu.toFixed(1)} MU, estimated delivery time ${r.totalDeliveryTimeS.toFixed(1)} s (at full speed, without beam-hold or acceleration overheads)`,
  ];
  if (r.deliverable) lines.push('deliverable: no violations of the machine limits');
  else lines.push(`not deliverable: ${r.violations.length} violation${r.violations.length === 1 ? '' : 's'}`, ...r.violations.map((v) => v.message));
  return lines.join('\n');
}

export function registerCheckPlan(program: Command, setExit: (code: number) => void): void {
  program
    .command('check-plan')
    .description(
      'check that a machine can deliver an RT Plan (leaf and jaw ranges, leaf gaps, bank spread, ' +
        'meterset weights, gantry direction, leaf/gantry speed against the dose-rate range); prints delivery time, MU, ' +
        'aperture complexity and every violation',
    )
    .argument('<rtplan>', 'an RTPLAN file')
    .option('--machine <name|file>', `a shipped machine (e.g. ${DEFAULT_MACHINE}) or a YAML/JSON machine file (docs/delivery.md)`, DEFAULT_MACHINE)
    .option('--json', 'print JSON instead of text')
    .addHelpText('after', '\nExit status: 0 when the plan is deliverable, 1 when violations were found or the input could not be read.')
    .action(async (rtplan: string, opts: CheckPlanOptions) => {
      let violations = false;
      const code = await runCommand(() => {
        const machine = loadMachine(opts.machine);
        const plan = readRtPlan(rtplan);
        const report = checkPlanReport(plan, rtplan, machine);
        violations = !report.deliverable;
        console.log(opts.json === true ? JSON.stringify({ disclaimer: DISCLAIMER, ...report }, null, 2) : `${DISCLAIMER}\n${formatCheckPlanReport(report)}`);
      });
      setExit(code !== EXIT_OK ? code : violations ? EXIT_ERROR : EXIT_OK);
    });
}
