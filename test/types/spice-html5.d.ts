// spice-html5 ships plain JavaScript without types; tests use it as the reference decoder.
declare module '@spice-project/spice-html5/src/*.js' {
  const value: any;
  export = value;
}
declare module '@spice-project/spice-html5/src/quic.js';
declare module '@spice-project/spice-html5/src/lz.js';
declare module '@spice-project/spice-html5/src/bitmap.js';
