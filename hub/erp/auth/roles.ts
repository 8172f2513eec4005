// What each role may do. Opticians keep patients, prescriptions and lab orders; managers also
// run the catalog, imports and reports; admins also manage users and read the audit trail.
import type { Role } from './users.js';

export const PERMISSIONS = {
  'patients:read': ['optician', 'manager', 'admin'],
  'patients:write': ['optician', 'manager', 'admin'],
  'orders:write': ['optician', 'manager', 'admin'],
  'orders:cancel': ['manager', 'admin'],
  'catalog:read': ['optician', 'manager', 'admin'],
  'catalog:write': ['manager', 'admin'],
  'import:run': ['manager', 'admin'],
  'reports:read': ['manager', 'admin'],
  'fleet:read': ['manager', 'admin'],
  'users:manage': ['admin'],
  'audit:read': ['admin'],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSIONS;

export function can(role: Role, permission: Permission): boolean {
  return (PERMISSIONS[permission] as readonly Role[]).includes(role);
}
