/** Option parsers and texts shared by the commands. */

import { InvalidArgumentError } from 'commander';

export { DISCLAIMER } from '../src/core/disclaimer.js';

/** Parse a positive number option (mm, Gy, ...), with a message naming the option. */
export function positiveNumber(option: string): (value: string) => number {
  return (value: string) => {
    const v = Number(value);
    if (!Number.isFinite(v) || v <= 0) throw new InvalidArgumentError(`${option} expects a positive number, found '${value}'`);
    return v;
  };
}
