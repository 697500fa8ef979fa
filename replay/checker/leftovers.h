// What a run leaves when it dies before it can clean up (SIGKILL, a crash,
// a power cut, a second Ctrl-C): its work directory, the mounts and loop
// devices of its views and of its reflink scratch filesystem, and the
// scratch image (a sparse file in /dev/shm that holds memory).
//
// A run records itself in its work directory (record_owner(), and
// record_scratch_image() once it has one); a later run in the same parent
// directory removes what a dead owner left (remove_leftovers()). A
// directory whose owner still runs, or that has no record, is not touched.
#pragma once

#include <string>
#include <vector>

namespace bb::checker {

// Writes "<pid> <start time>" of this process to <workdir>/owner.
void record_owner(const std::string& workdir);
// Adds the reflink scratch image's path to <workdir>/owner.
void record_scratch_image(const std::string& workdir, const std::string& image);

// Removes the leftovers of dead runs in `parent` (work directories named
// bb-crashcheck.*): unmounts what is mounted under them, detaches the loop
// devices on their files and on their scratch images, deletes those and
// the directories. Returns one line per directory cleaned, for the report.
// Errors do not throw: what cannot be removed is named in the line.
std::vector<std::string> remove_leftovers(const std::string& parent);

}  // namespace bb::checker
