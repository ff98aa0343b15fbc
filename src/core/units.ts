/**
 * Units as type-only brands. A value crossing a module border carries its unit in its type
 * (and in its name: `spacingMm`, `doseGy`, `volumeCc`). Brands cost nothing at run time.
 *
 * Conventions (docs/conventions.md): dose in Gy (never cGy), lengths in mm, volumes in cc (cm^3),
 * angles in degrees at interfaces (radians only inside a computation).
 */

declare const unit: unique symbol;

/** A number carrying a unit brand. */
export type Quantity<U extends string> = number & { readonly [unit]: U };

export type Mm = Quantity<'mm'>;
export type Gy = Quantity<'Gy'>;
export type Cc = Quantity<'cc'>;
export type Deg = Quantity<'deg'>;

export const mm = (value: number): Mm => value as Mm;
export const gy = (value: number): Gy => value as Gy;
export const cc = (value: number): Cc => value as Cc;
export const deg = (value: number): Deg => value as Deg;

/** 1 cc = 1000 mm^3. */
export const MM3_PER_CC = 1000;

export const mm3ToCc = (mm3: number): Cc => (mm3 / MM3_PER_CC) as Cc;
export const ccToMm3 = (volumeCc: number): number => volumeCc * MM3_PER_CC;

/** DICOM stores some doses in cGy; convert only at that boundary. */
export const cGyToGy = (cGy: number): Gy => (cGy / 100) as Gy;

export const degToRad = (angleDeg: number): number => (angleDeg * Math.PI) / 180;
