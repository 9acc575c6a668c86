/**
 * The FIX 4.4 tags and message types keel speaks, by name, so no other file carries a bare
 * number. Only what the gateway sends or reads is here; anything else in a message is carried
 * through the parser untouched and ignored.
 */
export const SOH = 0x01;
export const BEGIN_STRING = "FIX.4.4";

// Header and trailer.
export const T_BEGIN_STRING = 8;
export const T_BODY_LENGTH = 9;
export const T_MSG_TYPE = 35;
export const T_SENDER = 49;
export const T_TARGET = 56;
export const T_SEQ = 34;
export const T_SENDING_TIME = 52;
export const T_POSS_DUP = 43;
export const T_ORIG_SENDING_TIME = 122;
export const T_CHECKSUM = 10;

// Session messages.
export const T_ENCRYPT_METHOD = 98;
export const T_HEARTBEAT_INT = 108;
export const T_RESET_SEQ_FLAG = 141;
export const T_TEST_REQ_ID = 112;
export const T_BEGIN_SEQ = 7;
export const T_END_SEQ = 16;
export const T_GAP_FILL = 123;
export const T_NEW_SEQ = 36;
export const T_TEXT = 58;
export const T_REF_SEQ = 45;
export const T_REF_TAG = 371;
export const T_REF_MSG_TYPE = 372;
export const T_SESSION_REJECT_REASON = 373;

// Orders and their reports.
export const T_CL_ORD_ID = 11;
export const T_ORIG_CL_ORD_ID = 41;
export const T_ORDER_ID = 37;
export const T_EXEC_ID = 17;
export const T_EXEC_TYPE = 150;
export const T_ORD_STATUS = 39;
export const T_HANDL_INST = 21;
export const T_SYMBOL = 55;
export const T_SIDE = 54;
export const T_TRANSACT_TIME = 60;
export const T_ORDER_QTY = 38;
export const T_ORD_TYPE = 40;
export const T_PRICE = 44;
export const T_TIME_IN_FORCE = 59;
export const T_LAST_QTY = 32;
export const T_LAST_PX = 31;
export const T_LEAVES_QTY = 151;
export const T_CUM_QTY = 14;
export const T_CXL_REJ_REASON = 102;
export const T_CXL_REJ_RESPONSE_TO = 434;
export const T_BUSINESS_REJECT_REF_ID = 379;
export const T_BUSINESS_REJECT_REASON = 380;

export const MSG_HEARTBEAT = "0";
export const MSG_TEST_REQUEST = "1";
export const MSG_RESEND_REQUEST = "2";
export const MSG_REJECT = "3";
export const MSG_SEQUENCE_RESET = "4";
export const MSG_LOGOUT = "5";
export const MSG_LOGON = "A";
export const MSG_NEW_ORDER_SINGLE = "D";
export const MSG_ORDER_CANCEL_REQUEST = "F";
export const MSG_EXECUTION_REPORT = "8";
export const MSG_ORDER_CANCEL_REJECT = "9";
export const MSG_BUSINESS_REJECT = "j";

// ExecType (150).
export const EXEC_NEW = "0";
export const EXEC_CANCELED = "4";
export const EXEC_REPLACED = "5";
export const EXEC_PENDING_CANCEL = "6";
export const EXEC_REJECTED = "8";
export const EXEC_EXPIRED = "C";
export const EXEC_TRADE = "F";
// FIX 4.2's partial fill and fill, which some 4.4 venues still send.
export const EXEC_PARTIAL_FILL_42 = "1";
export const EXEC_FILL_42 = "2";

// OrdType (40), TimeInForce (59), Side (54).
export const ORD_TYPE_LIMIT = "2";
export const TIF_DAY = "0";
export const TIF_GTC = "1";
export const TIF_IOC = "3";
export const SIDE_BUY = "1";
export const SIDE_SELL = "2";
