// esbuild bundles imported CSS into the page's stylesheet; for TypeScript such an import has no value.
declare module '*.css'
