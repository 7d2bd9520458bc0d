//! geth's access-list tracer (`eth/tracers/logger/access_list_tracer.go`) as a revm
//! inspector: records the storage slots a call reads or writes and the addresses it
//! touches, minus the excluded ones (sender, recipient, precompiles).

use alloy_eips::eip2930::{AccessList, AccessListItem};
use alloy_primitives::{Address, B256, map::HashSet};
use revm::{
    Inspector,
    bytecode::opcode,
    interpreter::{Interpreter, interpreter::EthInterpreter, interpreter_types::Jumps},
};
use std::collections::{BTreeMap, BTreeSet};

/// Collects an access list while a call runs.
#[derive(Debug, Clone, Default)]
pub(crate) struct AccessListInspector {
    excluded: HashSet<Address>,
    list: BTreeMap<Address, BTreeSet<B256>>,
}

// === impl AccessListInspector ===

impl AccessListInspector {
    /// Starts from `initial` (its excluded addresses dropped, their slots kept, as geth).
    pub(crate) fn new(initial: &AccessList, excluded: HashSet<Address>) -> Self {
        let mut this = Self {
            excluded,
            list: BTreeMap::new(),
        };
        for item in initial.iter() {
            this.add_address(item.address);
            for slot in &item.storage_keys {
                this.add_slot(item.address, *slot);
            }
        }
        this
    }

    fn add_address(&mut self, address: Address) {
        if !self.excluded.contains(&address) {
            self.list.entry(address).or_default();
        }
    }

    fn add_slot(&mut self, address: Address, slot: B256) {
        self.list.entry(address).or_default().insert(slot);
    }

    /// The list so far, in address then slot order.
    pub(crate) fn access_list(&self) -> AccessList {
        AccessList(
            self.list
                .iter()
                .map(|(address, slots)| AccessListItem {
                    address: *address,
                    storage_keys: slots.iter().copied().collect(),
                })
                .collect(),
        )
    }
}

impl<CTX> Inspector<CTX, EthInterpreter> for AccessListInspector {
    fn step(&mut self, interp: &mut Interpreter<EthInterpreter>, _context: &mut CTX) {
        let op = interp.bytecode.opcode();
        let word_address = |w: alloy_primitives::U256| Address::from_word(B256::from(w));
        match op {
            opcode::SLOAD | opcode::SSTORE => {
                if let Ok(slot) = interp.stack.peek(0) {
                    self.add_slot(interp.input.target_address, B256::from(slot));
                }
            }
            opcode::EXTCODECOPY
            | opcode::EXTCODEHASH
            | opcode::EXTCODESIZE
            | opcode::BALANCE
            | opcode::SELFDESTRUCT => {
                if let Ok(w) = interp.stack.peek(0) {
                    self.add_address(word_address(w));
                }
            }
            opcode::DELEGATECALL | opcode::CALL | opcode::STATICCALL | opcode::CALLCODE => {
                if let Ok(w) = interp.stack.peek(1) {
                    self.add_address(word_address(w));
                }
            }
            _ => {}
        }
    }
}
