/**
 * Project roles, enforced on every read and write: VIEWER reads, EDITOR
 * writes, OWNER manages members. A caller who is not in a project sees nothing
 * of it: lists leave it out and a read by id answers NOT_FOUND (not FORBIDDEN),
 * so ids cannot be probed. The bootstrap admin, platform admins and internal
 * services may do everything.
 */
import { type Caller, labError } from '@lab/shared';
import type { ProjectRole } from '../generated/prisma/enums';

export type Role = ProjectRole;

const RANK: Record<Role, number> = { VIEWER: 1, EDITOR: 2, OWNER: 3 };
const VERB: Record<Role, string> = { VIEWER: 'read', EDITOR: 'change', OWNER: 'manage' };

export function atLeast(role: Role | null, needed: Role): boolean {
  return role !== null && RANK[role] >= RANK[needed];
}

/** Where the caller's memberships come from (one query per request). */
export type MembershipSource = (userId: string) => Promise<Map<string, Role>>;

export class Access {
  private roles: Promise<Map<string, Role>> | undefined;

  constructor(
    readonly caller: Caller,
    private readonly memberships: MembershipSource,
  ) {}

  /** Admins and internal services see and do everything. */
  get isSuperuser(): boolean {
    return this.caller.kind === 'admin' || this.caller.kind === 'service';
  }

  private rolesByProject(): Promise<Map<string, Role>> {
    this.roles ??= this.memberships(this.caller.id);
    return this.roles;
  }

  /** Drops the memberships read so far (after this request changed them). */
  forget(): void {
    this.roles = undefined;
  }

  /** The caller's own role in the project, ignoring superuser powers (null when not a member). */
  async membership(projectId: string): Promise<Role | null> {
    if (this.caller.kind === 'service') return null;
    return (await this.rolesByProject()).get(projectId) ?? null;
  }

  async roleIn(projectId: string): Promise<Role | null> {
    if (this.isSuperuser) return 'OWNER';
    return (await this.rolesByProject()).get(projectId) ?? null;
  }

  async can(projectId: string, needed: Role): Promise<boolean> {
    return atLeast(await this.roleIn(projectId), needed);
  }

  /**
   * Throws NOT_FOUND when the caller has no role in the project (as if `what`
   * did not exist), FORBIDDEN when the role is too low.
   */
  async require(projectId: string, needed: Role, what: string): Promise<void> {
    const role = await this.roleIn(projectId);
    if (role === null) throw labError('NOT_FOUND', `${what} not found`);
    if (!atLeast(role, needed)) {
      throw labError(
        'FORBIDDEN',
        `You may not ${VERB[needed]} ${what}: it needs the ${needed} role in its project, you have ${role}`,
      );
    }
  }

  /** Ids of the projects the caller may read, or 'all'. */
  async readableProjects(): Promise<string[] | 'all'> {
    if (this.isSuperuser) return 'all';
    return [...(await this.rolesByProject()).keys()];
  }

  /** Writes that create projects need a user (not a service). */
  requireUser(action: string): string {
    if (this.caller.kind === 'service') throw labError('FORBIDDEN', `Internal services may not ${action}`);
    return this.caller.id;
  }
}
