/*
 * error.c — error codes, their names and messages, generated from KB_ERRNO_MAP in khabar.h.
 */
#include "khabar_int.h"

KB_API const char *kb_version(void)
{
    return KB_VERSION_STRING;
}

KB_API const char *kb_strerror(int err)
{
    switch (err) {
#define KB_ERR_MSG_(name, code, msg)                                                               \
    case code:                                                                                     \
        return msg;
        KB_ERRNO_MAP(KB_ERR_MSG_)
#undef KB_ERR_MSG_
    }
    return "unknown error";
}

KB_API const char *kb_err_name(int err)
{
    switch (err) {
#define KB_ERR_NAME_(name, code, msg)                                                              \
    case code:                                                                                     \
        return "KB_" #name;
        KB_ERRNO_MAP(KB_ERR_NAME_)
#undef KB_ERR_NAME_
    }
    return "KB_EUNKNOWN";
}
