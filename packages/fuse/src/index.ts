// Filled in by its issue; the public door lists every export explicitly.
export {};
