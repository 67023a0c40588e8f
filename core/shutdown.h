// Process-wide stop request raised by SIGINT / SIGTERM (or by code). Long jobs
// poll StopRequested() and finish cleanly: sources end the stream, sinks close a
// playable file. A second SIGINT while stopping exits at once (status 130).
#pragma once

namespace smile {

void InstallSignalHandlers();
bool StopRequested();
void RequestStop();
// Clears the request (tests, or a live session that resumes).
void ResetStopRequest();
// The signal that requested the stop (SIGINT, SIGTERM) or 0.
int StopSignal();

}  // namespace smile
