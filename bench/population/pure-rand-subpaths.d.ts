// pure-rand publishes only subpath exports, which `moduleResolution: node` cannot see; these give the
// names Node resolves at run time the package's own declarations.
declare module 'pure-rand/generator/xoroshiro128plus' {
  export { xoroshiro128plus } from 'pure-rand/lib/generator/xoroshiro128plus';
}
declare module 'pure-rand/distribution/uniformInt' {
  export { uniformInt } from 'pure-rand/lib/distribution/uniformInt';
}
declare module 'pure-rand/distribution/uniformFloat64' {
  export { uniformFloat64 } from 'pure-rand/lib/distribution/uniformFloat64';
}
