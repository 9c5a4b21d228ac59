/** redkit's version, printed by --version and written into files it produces. */
export const VERSION = '0.1.0';
