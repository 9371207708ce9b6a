/** Absolute path of the built static files (index.html, app.js, styles.css, favicon.svg). */
export declare const publicDir: string;
