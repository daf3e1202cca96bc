import { realNodeTests } from './real-node';

realNodeTests('2026.7.1');
