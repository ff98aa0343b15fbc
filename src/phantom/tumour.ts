/**
 * The seed case's tumour: a bulky, lobulated hepatocellular carcinoma in the right liver lobe.
 *
 * Modelled on the 2025 lattice SBRT case report (lattice-rt physics reference §0 and §7): axial
 * diameters 16.5 x 8.0 cm at baseline (WHO product 132 cm²) and PTV_2000 = GTV + 5 mm = 1639.97 cc.
 * The shape is the smooth union (shapes.ts) of a boxy core (superellipsoid, exponent 2.6) and six
 * overlapping lobes, with a low-amplitude bump field on top, so that it is irregular and lobulated
 * rather than one ellipsoid. Its long axis lies in the axial plane, running from anterior-medial to
 * posterior-lateral; the short axis faces the inferior vena cava medially.
 *
 * GTV_SCALE is tuned so that expandMask(GTV, 5 mm) on the 2.5 mm grid gives 1640 cc; the GTV then
 * holds about 1265 cc and spans about 17.3 x 8.6 cm axially (along its long and short axes) and
 * 15.8 cm cranio-caudally. (A 5 mm shell adds about 375 cc here, so the GTV is well below the PTV.)
 *
 * Output: the GTV shape in the anatomy frame (body.ts), and its design centre, which the phantom
 * places at the patient origin (0, 0, 0), where a plan's isocentre would go.
 */

import type { Vec3 } from '../core/vec3.js';
import { axesFromAngles, displaced, ellipsoid, smoothUnion, sphere, superellipsoid, type Axes, type Shape } from './shapes.js';

/** Design centre of the tumour in the anatomy frame (mm): right, slightly anterior, above L1. */
export const GTV_CENTRE_MM: Vec3 = [-78, -12, 27];

/** Local axes: u = long axial axis (towards posterior-lateral), v = short axial axis, w = superior. */
export const GTV_AXES: Axes = axesFromAngles(126.87);

/** Uniform scale applied to every lobe about the design centre (tuned: GTV + 5 mm = 1640 cc). */
export const GTV_SCALE = 1.083;

/** A point at local coordinates (U, V, W) of the tumour frame, in the anatomy frame. */
export function gtvLocalToAnatomy(U: number, V: number, W: number): Vec3 {
  const { u, v, w } = GTV_AXES;
  const c = GTV_CENTRE_MM;
  return [
    c[0] + U * u[0] + V * v[0] + W * w[0],
    c[1] + U * u[1] + V * v[1] + W * w[1],
    c[2] + U * u[2] + V * v[2] + W * w[2],
  ];
}

/** The GTV as an implicit shape (anatomy frame). */
export function gtvShape(): Shape {
  const s = GTV_SCALE;
  const at = (U: number, V: number, W: number): Vec3 => gtvLocalToAnatomy(s * U, s * V, s * W);
  const core = superellipsoid(at(0, 0, 0), [70 * s, 32 * s, 72 * s], 2.6, GTV_AXES);
  const lobes: Shape[] = [
    core,
    sphere(at(48, 4, 28), 32 * s),
    sphere(at(-50, -4, 20), 30 * s),
    ellipsoid(at(28, 6, -42), [34 * s, 30 * s, 28 * s], GTV_AXES),
    sphere(at(-32, -6, -40), 26 * s),
    sphere(at(5, -18, 45), 24 * s),
    sphere(at(-10, 20, -10), 22 * s),
  ];
  const blob = smoothUnion(lobes, 10 * s);
  // Smooth bumps, 2.5 mm at most, a few centimetres across.
  const c = GTV_CENTRE_MM;
  const bump = (x: number, y: number, z: number): number => {
    const dx = x - c[0];
    const dy = y - c[1];
    const dz = z - c[2];
    return (
      1.0 * Math.sin(0.11 * dx + 0.05 * dz + 0.7) +
      0.8 * Math.sin(0.09 * dy - 0.07 * dx + 2.1) +
      0.7 * Math.sin(0.1 * dz + 0.06 * dy + 4.0)
    );
  };
  return displaced(blob, bump, 2.5);
}
