//! tt-sim: a simulated broker on loopback that speaks each broker's real wire protocol.
