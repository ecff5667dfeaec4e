#pragma once
// The service manager's notification protocol (sd_notify(3)), without libsystemd: a process that
// systemd starts with Type=notify finds a datagram socket in $NOTIFY_SOCKET and sends it lines such
// as READY=1 (started), WATCHDOG=1 (still alive), STOPPING=1 and STATUS=text. Outside systemd the
// variable is unset and every call does nothing.

#include <string_view>

namespace edgectl::notify {

/// Sends `state` (e.g. "READY=1", "STATUS=idle") to the service manager, if one listens. A failure
/// to send is logged at debug level: the service goes on, and the manager's watchdog is what
/// notices a process that has stopped talking.
void send(std::string_view state);

/// The watchdog's interval in seconds, when the service manager asked this process for pings
/// ($WATCHDOG_USEC, for $WATCHDOG_PID if set); 0 when it did not.
double watchdog_seconds();

}  // namespace edgectl::notify
