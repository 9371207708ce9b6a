// Browser entry of the dashboard (bundled to dist/public/app.js by tsup.dashboard.config.ts).
export {};
