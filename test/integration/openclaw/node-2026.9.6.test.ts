import { realNodeTests } from './real-node';

realNodeTests('2026.9.6');
