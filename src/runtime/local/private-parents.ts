/**
 * The private folders every launch makes its folders in (the data folder, `homes`, `jobs`), made
 * and closed (see privateFolder) once per server life rather than twice per launch: each check is
 * two file system calls on the server's event loop, and a burst of launches made hundreds.
 */

import { privateFolder } from '../../common/private-folder.js';

export class PrivateParents {
  private readonly made = new Map<string, Promise<void>>();

  /**
   * Runs `make`, which makes something inside `folders` (outermost first), once they are made
   * private. When `make` finds a folder missing (removed while the server ran), they are made
   * again and `make` runs once more.
   */
  async within<T>(folders: readonly string[], make: () => Promise<T>): Promise<T> {
    await this.ensure(folders);
    try {
      return await make();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      for (const folder of folders) this.made.delete(folder);
      await this.ensure(folders);
      return make();
    }
  }

  private async ensure(folders: readonly string[]): Promise<void> {
    for (const folder of folders) {
      let made = this.made.get(folder);
      if (!made) {
        made = privateFolder(folder);
        this.made.set(folder, made);
        // A failure is not remembered: the next launch tries again.
        made.catch(() => this.made.delete(folder));
      }
      await made;
    }
  }
}
