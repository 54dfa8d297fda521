//! Who may see a piece of data: everyone, the parties involved, or officers and admins. Each
//! field that not everyone may see is declared once, in `api::audience`; this module only says
//! who a caller is.

use super::access::Caller;

/// Who may see a field. Ordered: a wider viewer sees everything a narrower one does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Audience {
    /// Anyone who may see the resource.
    Public,
    /// The investor parties involved (an interest's lead and co-investors) and officers.
    Party,
    /// Officers and admins only.
    Internal,
}

impl Audience {
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Public => "public",
            Audience::Party => "party",
            Audience::Internal => "internal",
        }
    }

    /// The audience `caller` belongs to for something it may see: officers and admins are
    /// internal; an investor is a party when its party is `involved`, else the public.
    pub fn of(caller: &Caller, involved: bool) -> Audience {
        if caller.is_staff() {
            Audience::Internal
        } else if involved && caller.investor_party().is_some() {
            Audience::Party
        } else {
            Audience::Public
        }
    }

    /// Whether a viewer of this audience sees a field declared for `field`.
    pub fn sees(self, field: Audience) -> bool {
        self >= field
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wider_audience_sees_what_a_narrower_one_does() {
        assert!(Audience::Internal.sees(Audience::Party));
        assert!(Audience::Party.sees(Audience::Public));
        assert!(!Audience::Party.sees(Audience::Internal));
        assert!(!Audience::Public.sees(Audience::Party));
    }
}
