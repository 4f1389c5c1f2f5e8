//! Signal pipeline: validate a strategy signal, choose the option, price target and stop, check
//! risk and produce an order intent, or a rejection with its reason.
