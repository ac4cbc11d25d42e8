// Bundles src/ into dist/ (app.js, app.css, index.html, favicon.svg, sw.js).
// `npm run build` first regenerates the API types and type-checks.
import { build } from "esbuild";
import { copyFile, mkdir, rm } from "node:fs/promises";

// UI_OUT lets two builds (say, two people testing different pages) not overwrite each other.
const out = process.env.UI_OUT ?? "dist";

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
await build({
  entryPoints: ["src/main.ts"],
  bundle: true,
  format: "esm",
  target: "es2022",
  minify: true,
  sourcemap: true,
  outfile: `${out}/app.js`,
  logLevel: "warning",
});
// The service worker is plain JavaScript (its own global scope), copied as is.
for (const f of ["index.html", "app.css", "favicon.svg", "sw.js"]) await copyFile(`src/${f}`, `${out}/${f}`);
console.log(`ui: built ${out}/`);
