// The simulated services, each registering its handlers on the shared server.
#pragma once

#include <httplib.h>

#include "sim_state.h"

namespace swr::sim {

void add_iam_routes(httplib::Server& server, SimState& state);
void add_swr_routes(httplib::Server& server, SimState& state);
void add_admin_routes(httplib::Server& server, SimState& state);

}  // namespace swr::sim
