//! Risk manager: position sizing in whole lots and the limits every order must pass.
