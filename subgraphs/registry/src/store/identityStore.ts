/** Users, API keys, projects and memberships in PostgreSQL. */

import type { Role } from '../access/access';
import { isUuid } from '../common/validation';
import { BOOTSTRAP_ADMIN_EMAIL, BOOTSTRAP_ADMIN_ID, BOOTSTRAP_ADMIN_NAME } from '../constants';
import type { PrismaClient, ProjectMember, User } from '../generated/prisma/client';

export class IdentityStore {
  constructor(private readonly prisma: PrismaClient) {}

  /** Users by id, in the order asked, null where unknown (a DataLoader batch function). */
  async usersByIds(ids: readonly string[]): Promise<(User | null)[]> {
    const wanted = [...new Set(ids.filter(isUuid).map((id) => id.toLowerCase()))];
    const found = wanted.length > 0 ? await this.prisma.user.findMany({ where: { id: { in: wanted } } }) : [];
    const byId = new Map(found.map((u) => [u.id, u]));
    return ids.map((id) => byId.get(id.toLowerCase()) ?? null);
  }

  /** The projects a user belongs to, with the role in each. */
  async membershipsOf(userId: string): Promise<Map<string, Role>> {
    if (!isUuid(userId)) return new Map();
    const rows: Pick<ProjectMember, 'projectId' | 'role'>[] = await this.prisma.projectMember.findMany({
      where: { userId },
      select: { projectId: true, role: true },
    });
    return new Map(rows.map((r) => [r.projectId, r.role]));
  }

  /** The bootstrap admin user (fixed id), created or made admin again. */
  upsertBootstrapAdmin(): Promise<User> {
    return this.prisma.user.upsert({
      where: { id: BOOTSTRAP_ADMIN_ID },
      create: { id: BOOTSTRAP_ADMIN_ID, email: BOOTSTRAP_ADMIN_EMAIL, name: BOOTSTRAP_ADMIN_NAME, isAdmin: true },
      update: { isAdmin: true },
    });
  }
}
