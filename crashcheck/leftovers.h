// SPDX-License-Identifier: GPL-2.0-or-later
// What a run leaves when it dies before it can clean up (SIGKILL, a crash,
// a power cut, a second Ctrl-C): its work directory, the mounts and loop
// devices of its views and of its reflink scratch filesystem, the scratch
// image (a sparse file in /dev/shm that holds memory) or zram device, and
// with dm-snapshot views its device-mapper devices.
//
// A run records itself in its work directory (record_owner(), and
// record_scratch_image(), record_zram() and record_loop() for what lies
// outside it); its device-mapper devices are named after its pid. A later
// run in the same parent directory removes what a dead owner left
// (remove_leftovers()). A directory whose owner still runs, or that has no
// record, is not touched.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bb::crashcheck {

// Writes "<pid> <start time>" of this process to <workdir>/owner.
void record_owner(const std::string& workdir);
// Adds the reflink scratch image's path to <workdir>/owner.
void record_scratch_image(const std::string& workdir, const std::string& image);
// Adds the zram device the reflink scratch is on to <workdir>/owner.
void record_zram(const std::string& workdir, int id, uint64_t size);
// Adds a loop device on a file outside <workdir> (a --target image under
// dm-snapshot views) to <workdir>/owner: it is detached if still on `file`.
void record_loop(const std::string& workdir, const std::string& device, const std::string& file);

// Removes the leftovers of dead runs in `parent` (work directories named
// bb-crashcheck.*): unmounts what is mounted under them, removes their
// device-mapper views, detaches the loop devices on their files, on their
// scratch images and those recorded, deletes the images and the
// directories. Returns one line per directory cleaned, for the report.
// Errors do not throw: what cannot be removed is named in the line.
[[nodiscard]] std::vector<std::string> remove_leftovers(const std::string& parent);

}  // namespace bb::crashcheck
