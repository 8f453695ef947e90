/**
 * The device files a GPU job may open inside its sandbox: its own GPUs' `/dev/nvidia<minor>`, and
 * the driver's shared control files. NVIDIA numbers device files by minor number, which need not
 * be the CUDA index, so ids are matched through the driver's own list in /proc.
 */

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const DRIVER_GPUS = '/proc/driver/nvidia/gpus';
const CONTROL_FILES = ['/dev/nvidiactl', '/dev/nvidia-uvm', '/dev/nvidia-uvm-tools', '/dev/nvidia-modeset', '/dev/nvidia-caps'];

interface DriverGpu {
  /** PCI address, the order nvidia-smi and CUDA_DEVICE_ORDER=PCI_BUS_ID number GPUs in. */
  busId: string;
  minor: number;
  uuid: string;
}

function driverGpus(root: string): DriverGpu[] {
  let busIds: string[];
  try {
    busIds = readdirSync(root).sort();
  } catch {
    return [];
  }
  return busIds.flatMap((busId) => {
    try {
      const info = readFileSync(join(root, busId, 'information'), 'utf8');
      const minor = /Device Minor:\s*(\d+)/.exec(info)?.[1];
      const uuid = /GPU UUID:\s*(\S+)/.exec(info)?.[1];
      return minor === undefined ? [] : [{ busId, minor: Number(minor), uuid: uuid ?? '' }];
    } catch {
      return [];
    }
  });
}

/** Device files for the GPUs `ids` names (indexes or UUIDs, as CLASSLAB_LOCAL_GPUS gives them). */
export function gpuDeviceFiles(ids: readonly string[], options: { driverRoot?: string; exists?: (path: string) => boolean } = {}): string[] {
  if (ids.length === 0) return [];
  const exists = options.exists ?? existsSync;
  const known = driverGpus(options.driverRoot ?? DRIVER_GPUS);
  const files = ids.map((id) => {
    const gpu = /^\d+$/.test(id) ? known[Number(id)] : known.find((candidate) => candidate.uuid.toLowerCase() === id.toLowerCase());
    // Without the driver's list, an index is taken as the minor number, which it usually is.
    return `/dev/nvidia${gpu ? gpu.minor : id}`;
  });
  return [...files, ...CONTROL_FILES].filter((file) => exists(file));
}
