//! The syntax tree of a compiled template.

/// A byte offset into the template text (turned into line and column only
/// when an error is reported).
pub type Offset = usize;

/// One piece of a template.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Text(String),
    /// `$ref`, `$!ref`, `${ref}`: printed; `source` is printed when a
    /// non-quiet reference is undefined only where Velocity would, which in
    /// API Gateway's configuration is never (null prints as nothing).
    Print {
        expr: Expr,
        at: Offset,
    },
    Set {
        target: Target,
        value: Expr,
        at: Offset,
    },
    If {
        branches: Vec<(Expr, Vec<Node>)>,
        otherwise: Vec<Node>,
    },
    Foreach {
        var: String,
        iterable: Expr,
        body: Vec<Node>,
        at: Offset,
    },
    Break,
    Stop,
    /// `#macro(name $a $b) ... #end`.
    Macro(std::sync::Arc<MacroDef>),
    /// `#name(args)`: a call of a macro defined before it.
    MacroCall {
        name: String,
        args: Vec<Expr>,
        at: Offset,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct MacroDef {
    pub name: String,
    pub params: Vec<String>,
    pub body: Vec<Node>,
}

/// What `#set` assigns to.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// `$name`
    Var(String),
    /// `$a.b.c`: the last step is put into the map (or list) before it.
    Path(Box<Expr>, Step),
}

/// One step after a reference's root.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Property(String),
    Index(Expr),
}

/// An expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// A double-quoted string with references or directives in it.
    Interpolated(Vec<Node>),
    Var(String),
    Property(Box<Expr>, String),
    Index(Box<Expr>, Box<Expr>),
    Call(Box<Expr>, String, Vec<Expr>, Offset),
    List(Vec<Expr>),
    Map(Vec<(Expr, Expr)>),
    Range(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>, Offset),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}
