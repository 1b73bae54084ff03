// The model checker's world: the umbrella header for a model checker binding, which includes
// every part of it. A world state (World<P>) is every node's volatile and durable value, its
// armed timers, the messages in flight, the fault budget used and (opt-in) the client history;
// the Stepper is the one step function that both the explorer and the counterexample replayer
// use. Each part lives in a header of its own:
//
//   world_state.h        World, NodeSlot, InFlight, ArmedTimer, HistoryEvent: the state itself
//   model.h              Model: the transition system's parameters (budgets, network, symmetry)
//   action.h             Action, enabled_actions(), describe_action(): the transitions
//   keys.h               key_of(), KeySink, mix64(): the explorer's hashing primitives
//   key_tables.h         InternTable, KeyMemo: tables keyed by 64-bit fingerprints
//   world_fingerprint.h  seal() (slot keys), world_fingerprint() and the property fingerprints
//   messages.h           the in-flight multiset and SentMessages (interned messages)
//   client_history.h     HistoryLog, history_of(), failed_history_check(): the client history
//   driver.h             Driver: the apply() hooks through which effects change a world
//   slot_store.h         SlotStore: interned node slots and the copy-on-write scratch slots
//   step_memo.h          StepMemo: a handler's outcome remembered by (node, slot, event)
//   symmetry.h           SymmetryReduction: the least fingerprint over renamings of nodes
//   property_view.h      ViewBuffer, node_step(): what properties see of a world
//   stepper.h            Stepper: the initial state and the step function
//
// The explorer (explorer.h) and the replayer (replay.h) include this header; README.md ("What a
// state is", "Actions") describes the state and its transitions.
#pragma once

#include "sim/explore/action.h"
#include "sim/explore/client_history.h"
#include "sim/explore/driver.h"
#include "sim/explore/key_tables.h"
#include "sim/explore/keys.h"
#include "sim/explore/messages.h"
#include "sim/explore/model.h"
#include "sim/explore/property_view.h"
#include "sim/explore/slot_store.h"
#include "sim/explore/step_memo.h"
#include "sim/explore/stepper.h"
#include "sim/explore/symmetry.h"
#include "sim/explore/world_fingerprint.h"
#include "sim/explore/world_state.h"
