export * from './types.js';
export * from './window.js';
export * from './budget.js';
export * from './alerts.js';
export * from './status.js';
export * from './gate.js';
export * from './validate.js';
export * from './resource-status.js';
