/** The one research-use statement every report, audit and command prints. */
export const DISCLAIMER =
  'Research use only. lattice-rt is not a medical device and must not be used to make clinical decisions.';
